import json

from chalicelib.observability import count


def emitted(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def test_given_metrics_of_two_tenants_then_each_record_carries_only_its_own_tenant(capsys):
    count("TicketsCreated", "demo")
    count("TicketsCreated", "acme", 2)

    first, second = emitted(capsys)

    assert (first["tenant"], first["TicketsCreated"]) == ("demo", [1.0])
    assert (second["tenant"], second["TicketsCreated"]) == ("acme", [2.0])
    assert first["_aws"]["CloudWatchMetrics"][0]["Namespace"]
