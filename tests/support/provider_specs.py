"""Validate request bodies and query strings against each provider's published API spec.

The specs live in ``../shared/corpora/email-provider-specs/`` (absent: the validating tests skip).

- Brevo: OpenAPI 3.0.1; loaded with YAML's timestamp resolver removed and numeric keys stringified
  (FACTS.md: PyYAML would otherwise turn dates into datetimes and response codes into ints).
- SendGrid: OpenAPI 3.1 (``tsg_mail_v3.yaml``, ``tsg_suppressions_v3.yaml``).
- Postmark: Swagger 2.0, which predates ``MessageStream`` and ``Metadata``: exactly those two fields
  are added to ``SendEmailRequest``; the newer ``/message-streams/{stream}/suppressions/dump`` is not
  in it and is not validated.

The schemas are made strict: an object schema that lists ``properties`` and says nothing about
others refuses unknown keys, so a misspelt field fails here instead of being ignored by the provider.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from tests.conftest import CORPORA

SPECS = CORPORA / "email-provider-specs"
BREVO = SPECS / "getbrevo-brevo-php" / "swagger_definition_v3.yml"
SENDGRID_MAIL = SPECS / "twilio-sendgrid-oai" / "spec" / "yaml" / "tsg_mail_v3.yaml"
SENDGRID_SUPPRESSIONS = SPECS / "twilio-sendgrid-oai" / "spec" / "yaml" / "tsg_suppressions_v3.yaml"
POSTMARK = (
    SPECS
    / "apis-guru-postmarkapp.com"
    / "APIs"
    / "postmarkapp.com"
    / "server"
    / "1.0.0"
    / ("swagger.yaml")
)


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser: 10x faster on Brevo's


class _NoDates(_Base):  # type: ignore[misc,valid-type]
    pass


_NoDates.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _stringify_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _stringify_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_stringify_keys(v) for v in node]
    return node


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return _stringify_keys(yaml.load(f, Loader=_NoDates))  # type: ignore[no-any-return]


def _validator(doc: dict[str, Any], pointer: str, cls: Any, spec: Any) -> Any:
    doc = _strict(copy.deepcopy(doc))
    uri = "urn:spec"
    registry: Registry = Registry().with_resource(uri, Resource.from_contents(doc, spec))
    return cls({"$ref": f"{uri}#{pointer}"}, registry=registry,
               format_checker=jsonschema.FormatChecker())  # fmt: skip


@cache
def brevo_send() -> Any:
    return _validator(load(BREVO), "/components/schemas/sendSmtpEmail", OAS30Validator, DRAFT4)


@cache
def sendgrid_send() -> Any:
    doc = load(SENDGRID_MAIL)
    body = doc["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]
    doc = copy.deepcopy(doc)
    doc["components"]["schemas"]["_MailSend"] = body["schema"]
    return _validator(doc, "/components/schemas/_MailSend", OAS31Validator, DRAFT202012)


@cache
def postmark_batch() -> Any:
    doc = copy.deepcopy(load(POSTMARK))
    props = doc["definitions"]["SendEmailRequest"]["properties"]
    # newer than the published Swagger 2.0 file: exactly these two fields are allowed in addition
    props["MessageStream"] = {"type": "string"}
    props["Metadata"] = {"type": "object", "additionalProperties": {"type": "string"}}
    return _validator(doc, "/definitions/SendEmailBatchRequest", jsonschema.Draft4Validator, DRAFT4)


def validate_body(provider: str, body: Any) -> None:
    """Raise ``jsonschema.ValidationError`` when ``body`` breaks the provider's send schema."""
    validator = {"brevo": brevo_send, "sendgrid": sendgrid_send, "postmark": postmark_batch}[
        provider
    ]()
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path)
        raise jsonschema.ValidationError(f"{provider} body at /{where}: {e.message}")


def _parameters(provider: str, path: str, method: str) -> list[dict[str, Any]]:
    if provider == "brevo":
        doc, key = load(BREVO), path.removeprefix("/v3")
    elif provider == "sendgrid":
        doc, key = load(SENDGRID_SUPPRESSIONS), path
    else:
        doc, key = load(POSTMARK), path
    op = doc["paths"][key][method.lower()]
    out = []
    for p in op.get("parameters", []):
        if "$ref" in p:
            name = p["$ref"].rsplit("/", 1)[-1]
            section = doc.get("components", {}).get("parameters") or doc.get("parameters", {})
            p = section[name]
        out.append(p)
    return out


def validate_query(provider: str, path: str, method: str, query: dict[str, list[str]]) -> None:
    """Every query parameter is one the spec declares, and every required one is present."""
    params = [p for p in _parameters(provider, path, method) if p.get("in") == "query"]
    known = {p["name"] for p in params}
    unknown = set(query) - known
    if unknown:
        raise AssertionError(f"{provider} {path}: unknown query parameters {sorted(unknown)}")
    missing = {p["name"] for p in params if p.get("required")} - set(query)
    if missing:
        raise AssertionError(f"{provider} {path}: missing required query parameters {missing}")
    for p in params:
        schema = p.get("schema") or {k: v for k, v in p.items() if k in ("type", "enum")}
        if p["name"] in query and schema.get("enum"):
            assert query[p["name"]][0] in schema["enum"], (p["name"], query[p["name"]])
