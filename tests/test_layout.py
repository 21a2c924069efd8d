"""The one-way layout of the code (README "Architecture"), checked by reading imports with `ast`.

- No import circle between modules of app/, counting imports inside functions too.
- A module under app/services/ imports neither `flask.request` nor a blueprint
  package nor anything that renders templates.
- app/models/ imports nothing from app/services/.
- Each area of app/services/ imports only the areas its `MAY_IMPORT` names,
  and those declarations themselves form no circle.
"""
import ast
import pathlib

import pytest

APP = pathlib.Path(__file__).resolve().parent.parent / "app"
TEMPLATE_NAMES = {"render_template", "render_template_string", "stream_template", "get_template_attribute"}


def _modules():
    found = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()
BLUEPRINT_PACKAGES = {name for name, path in MODULES.items()
                      if path.name == "__init__.py" and (path.parent / "blueprint.py").exists()}


def _owner(name):
    """The module of app/ that `name` (a dotted path) refers to, or None outside app/."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name):
    """(imported module of app/ or None, imported names, the node) for every import in module `name`."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, _owner(alias.name), [], node
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield base, _owner(full if full in MODULES else base), [alias.name], node


def _graph():
    edges = {name: set() for name in MODULES}
    for name in MODULES:
        for _dotted, target, _names, _node in _imports(name):
            if target and target != name:
                edges[name].add(target)
    return edges


def _cycles(edges):
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _area(name):
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["app", "services"] and \
        (APP / "services" / parts[2]).is_dir() else None


def _declared():
    declared = {}
    for path in sorted((APP / "services").glob("*/__init__.py")):
        tree = ast.parse(path.read_text())
        values = [node.value for node in tree.body if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "MAY_IMPORT" for t in node.targets)]
        declared[path.parent.name] = tuple(ast.literal_eval(values[0])) if values else None
    return declared


def test_no_import_circle_between_modules_of_app():
    assert _cycles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_services_import_no_request_blueprint_or_template():
    wrong = []
    for name in MODULES:
        if not name.startswith("app.services"):
            continue
        for dotted, target, names, node in _imports(name):
            if dotted == "flask" and "request" in names or dotted == "flask.request":
                wrong.append(f"{name}:{node.lineno} imports flask.request")
            if set(names) & TEMPLATE_NAMES or dotted == "jinja2" or dotted.startswith("jinja2."):
                wrong.append(f"{name}:{node.lineno} renders templates ({dotted})")
            if target and (target in BLUEPRINT_PACKAGES or target.rpartition(".")[0] in BLUEPRINT_PACKAGES):
                wrong.append(f"{name}:{node.lineno} imports the blueprint area {target}")
            if target in ("app.htmx", "app.navigation", "app.permissions", "app.errors"):
                wrong.append(f"{name}:{node.lineno} imports the web layer {target}")
            if target in RENDERING and not target.startswith("app.services"):
                wrong.append(f"{name}:{node.lineno} imports {target}, which renders templates")
    assert wrong == []


def _renders_templates(name):
    return any(set(names) & TEMPLATE_NAMES or dotted == "jinja2" for dotted, _t, names, _n in _imports(name))


RENDERING = {name for name in MODULES if _renders_templates(name)}


def test_the_web_layer_check_knows_the_mail_renderer():
    assert "app.mail_render" in RENDERING and "app.services.notify.mail" not in RENDERING


def test_models_import_nothing_from_services():
    wrong = [f"{name}:{node.lineno} imports {dotted}" for name in MODULES if name.startswith("app.models")
             for dotted, _target, _names, node in _imports(name) if dotted.startswith("app.services")]
    assert wrong == []


def test_every_area_declares_what_it_may_import():
    declared = _declared()
    assert declared, "app/services/ has no areas"
    assert [area for area, allowed in declared.items() if allowed is None] == []
    for allowed in declared.values():
        assert set(allowed) <= set(declared)


def test_areas_import_only_what_they_declare():
    declared = _declared()
    wrong = []
    for name in MODULES:
        area = _area(name)
        if area is None:
            continue
        for dotted, target, _names, node in _imports(name):
            other = _area(target or "")
            if other and other != area and other not in declared[area]:
                wrong.append(f"{name}:{node.lineno} ({area}) imports {target} ({other})")
    assert wrong == []


def test_the_declared_areas_form_no_circle():
    declared = _declared()
    assert _cycles({area: set(allowed) for area, allowed in declared.items()}) == []


@pytest.mark.parametrize("area", sorted(p.parent.name for p in (APP / "services").glob("*/__init__.py")))
def test_every_area_says_what_it_owns(area):
    doc = ast.get_docstring(ast.parse((APP / "services" / area / "__init__.py").read_text()))
    assert doc and len(doc.split()) >= 12
