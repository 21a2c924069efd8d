"""Every state-changing route refuses a request without a CSRF token."""
import re

import pytest

from app import create_app


def _post_rules():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"} and rule.endpoint != "static":
            rules.append(rule)
    return rules


def _url(rule):
    """Fill a rule's variables with harmless values."""
    path = rule.rule
    def replace(match):
        conv = match.group(1) or "string"
        if conv.startswith("int"):
            return "1"
        if conv.startswith("any"):
            return re.search(r"any\(([^,)]+)", conv).group(1).strip()
        return "x"
    return re.sub(r"<(?:([^:>]+):)?\w+>", replace, path)


RULES = _post_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.rule for r in RULES])
def test_post_without_csrf_token_is_refused(client, as_role, rule):
    as_role("coordinator")
    method = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]
    response = client.open(_url(rule), method=method, data={"x": "1"}, csrf=False)
    if rule.rule.startswith("/api/"):
        # The API takes a session only with the X-CSRFToken header (or a Bearer token).
        assert response.status_code in (400, 401, 403), rule.rule
    else:
        assert response.status_code == 400, rule.rule
