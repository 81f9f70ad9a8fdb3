"""ECS translation: a service's public IP as the ENABLED / DISABLED the ECS API takes."""

from __future__ import annotations

from factories import registration

from qcap.offline.contract_calls import translate


def test_a_service_says_enabled_or_disabled_for_its_public_ip_as_the_ecs_api_does():
    service = registration("aws:ecs/service:Service", "s", {"name": "orders", "networkConfiguration": {
        "subnets": ["subnet-1"], "assignPublicIp": False}})
    (call,) = translate(service)
    assert call.params["networkConfiguration"] == {"awsvpcConfiguration": {"subnets": ["subnet-1"],
                                                                           "assignPublicIp": "DISABLED"}}
