"""Layer names: given ones kept, the others `<type>_<k>` (k-th layer of that type, from 1)."""


def layer_names(layers: list) -> list[str | None]:
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        if not isinstance(layer, dict):
            names.append(None)
            continue
        kind, given = layer.get("type"), layer.get("name")
        if not isinstance(kind, str):  # a schema error; it gets no automatic name
            names.append(given if isinstance(given, str) else None)
            continue
        counts[kind] = counts.get(kind, 0) + 1
        names.append(given if isinstance(given, str) else f"{kind}_{counts[kind]}")
    return names
