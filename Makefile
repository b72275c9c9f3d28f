# hrc-outreach: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test lint golden screenshots migration bench clean catalogs

$(STAMP): pyproject.toml package.json package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip uv
	@$(BIN)/uv pip install -q --python $(BIN)/python -e '.[test]'
	@# axe-core (node_modules/) for the real-browser tests; without npm they skip and say why
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --silent; \
	else echo "npm not found: tests/browser will skip (no axe-core)"; fi
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m hrc_outreach.demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src flows tests bench scripts
	$(BIN)/mypy src flows

golden: $(STAMP)
	HRC_REGENERATE_GOLDEN=1 $(BIN)/python -m pytest tests/render -k golden -q

# The sample edition's email (en, fr, ar, uk at 375 and 1280 px) in tests/artifacts/screenshots/
screenshots: $(STAMP)
	HRC_SAVE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_screenshots.py -q

migration: $(STAMP)
	$(BIN)/python scripts/make_migration.py

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out var .pytest_cache node_modules

# Template chrome catalogs: re-extract messages.pot, merge it into every language's .po, then
# check that every configured language is complete (scripts/check_catalogs.py).
BABEL_KEYWORDS := -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 -k npgettext:1c,2,3
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		-c "Translators:" --project hrc-outreach --version 0.1 \
		--copyright-holder "Human Rights Cities Network" \
		--msgid-bugs-address info@humanrightscities.net -o templates/locales/messages.pot .
	$(BIN)/pybabel update -i templates/locales/messages.pot -d templates/locales -D messages \
		--ignore-obsolete --no-fuzzy-matching --no-wrap
	$(BIN)/python scripts/check_catalogs.py
