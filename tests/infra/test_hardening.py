"""The optional hardening in the template: off by default, wired by the names settings read."""

from __future__ import annotations

import pytest

from functions import constants as c
from functions.settings import ArchiverSettings, WebhookSettings
from infra import names as n
from tests.infra.conftest import one, resources_of
from tests.infra.test_properties import _DEPLOYED, _POWERTOOLS, TEMPLATE, _environment

KEY_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pseudonym-AbCdEf"


@pytest.mark.parametrize("parameter", [n.P_RESTRICT_SOURCE_IPS, n.P_PSEUDONYMIZE_USERS])
def test_both_options_are_off_by_default(parameter: str) -> None:
    spec = TEMPLATE["Parameters"][parameter]
    assert spec["Default"] == "false"
    assert spec["AllowedValues"] == ["false", "true"]


@pytest.mark.parametrize("value", ["false", "true"])
def test_the_webhook_reads_the_allow_list_switch_as_deployed(value: str) -> None:
    environment = _environment(n.R_WEBHOOK_FUNCTION, {**_DEPLOYED, n.P_RESTRICT_SOURCE_IPS: value})
    settings = WebhookSettings.from_env(environment)
    assert settings.restrict_source_ips is (value == "true")
    assert c.ENV_RESTRICT_SOURCE_IPS in environment.read


def test_a_pseudonymising_stack_gives_the_archiver_exactly_the_key_arn_it_reads() -> None:
    deployed = {
        **_DEPLOYED,
        n.P_PSEUDONYMIZE_USERS: "true",
        n.C_PSEUDONYMIZE_USERS: True,
        n.R_PSEUDONYM_KEY: KEY_ARN,
    }
    environment = _environment(n.R_ARCHIVER_FUNCTION, deployed)
    settings = ArchiverSettings.from_env(environment)
    assert set(environment) - _POWERTOOLS == environment.read
    assert settings.pseudonymize_users is True
    assert settings.pseudonym_key_arn == KEY_ARN
    assert settings.pseudonym_key is None  # never a key in the environment on AWS


def test_a_default_stack_has_no_key_variable() -> None:
    environment = _environment(n.R_ARCHIVER_FUNCTION, _DEPLOYED)
    assert c.ENV_PSEUDONYM_KEY_ARN not in environment
    assert c.ENV_PSEUDONYM_KEY not in environment


def test_the_key_and_the_right_to_read_it_exist_only_when_pseudonymising() -> None:
    secret = TEMPLATE["Resources"][n.R_PSEUDONYM_KEY]
    assert secret["Condition"] == n.C_PSEUDONYMIZE_USERS
    assert TEMPLATE["Conditions"][n.C_PSEUDONYMIZE_USERS] == {
        "Fn::Equals": [{"Ref": n.P_PSEUDONYMIZE_USERS}, "true"]
    }
    assert secret["DeletionPolicy"] == "Retain"  # losing it unlinks every pseudonym
    role = one(TEMPLATE, n.R_ARCHIVER_ROLE)
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    conditional = [s for s in statements if "Fn::If" in s]
    assert conditional == [
        {
            "Fn::If": [
                n.C_PSEUDONYMIZE_USERS,
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [{"Ref": n.R_PSEUDONYM_KEY}],
                },
                {"Ref": "AWS::NoValue"},
            ]
        }
    ]


def test_no_function_logs_its_events() -> None:
    # Powertools would log each whole event (message text, names) with this variable.
    for function in resources_of(TEMPLATE, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert "POWERTOOLS_LOGGER_LOG_EVENT" not in variables
        # The functions' own level is the FunctionLogLevel parameter (functions.logs).
        assert variables.get("POWERTOOLS_LOG_LEVEL") == {"Ref": "FunctionLogLevel"}
