"""The HTTP API: POST /webhook → webhook Lambda (payload 2.0), throttled, access logs optional."""

from __future__ import annotations

import json
from typing import Any

from troposphere import AWS_NO_VALUE, GetAtt, If, Join, Ref, Sub
from troposphere.apigatewayv2 import (
    AccessLogSettings,
    Api,
    Integration,
    Route,
    RouteSettings,
    Stage,
)
from troposphere.awslambda import Permission

from functions import constants as c
from infra import names as n
from infra.common import checkov_skips
from infra.functions import log_group

#: One JSON object per request; no body, no headers (the secret travels in a header).
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "sourceIp": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationStatus": "$context.integrationStatus",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
    },
    separators=(",", ":"),
)

ROUTE_KEY = f"POST {c.WEBHOOK_PATH}"


def http_api() -> list[Any]:
    """API, integration, route, $default stage, access log group, invoke permission."""
    api = Api(
        n.R_HTTP_API,
        Name=Sub("${AWS::StackName}-webhook"),
        ProtocolType="HTTP",
        Description="Telegram pushes updates here.",
    )
    integration = Integration(
        n.R_API_INTEGRATION,
        ApiId=Ref(n.R_HTTP_API),
        IntegrationType="AWS_PROXY",
        IntegrationUri=GetAtt(n.R_WEBHOOK_FUNCTION, "Arn"),
        PayloadFormatVersion="2.0",
        TimeoutInMillis=c.API_GATEWAY_TIMEOUT_SECONDS * 1000,
    )
    route = Route(
        n.R_API_ROUTE,
        ApiId=Ref(n.R_HTTP_API),
        RouteKey=ROUTE_KEY,
        # Telegram cannot sign requests or carry IAM/JWT credentials; the webhook checks
        # the X-Telegram-Bot-Api-Secret-Token header in constant time instead.
        AuthorizationType="NONE",
        Target=Join("/", ["integrations", Ref(n.R_API_INTEGRATION)]),
    )
    stage = Stage(
        n.R_API_STAGE,
        ApiId=Ref(n.R_HTTP_API),
        StageName="$default",
        AutoDeploy=True,
        DefaultRouteSettings=RouteSettings(
            ThrottlingBurstLimit=Ref(n.P_THROTTLE_BURST),
            ThrottlingRateLimit=Ref(n.P_THROTTLE_RATE),
        ),
        # Optional (ApiAccessLogs): a billed line per request that repeats what API
        # Gateway's free metrics count; on for debugging, off by default.
        AccessLogSettings=If(
            n.C_API_ACCESS_LOGS,
            AccessLogSettings(
                DestinationArn=GetAtt(n.R_API_ACCESS_LOG_GROUP, "Arn"),
                Format=ACCESS_LOG_FORMAT,
            ),
            Ref(AWS_NO_VALUE),
        ),
        Metadata=checkov_skips(
            (
                "CKV_AWS_95",
                "access logging is a parameter (ApiAccessLogs, off by default): API Gateway's "
                "free metrics count every request and status, and the webhook counts refusals",
            )
        ),
    )
    permission = Permission(
        n.R_API_INVOKE_PERMISSION,
        Action="lambda:InvokeFunction",
        FunctionName=Ref(n.R_WEBHOOK_FUNCTION),
        Principal="apigateway.amazonaws.com",
        SourceArn=Sub(
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${%s}/*/POST%s"
            % (n.R_HTTP_API, c.WEBHOOK_PATH)
        ),
    )
    return [
        log_group(n.R_API_ACCESS_LOG_GROUP, "api-access"),
        api,
        integration,
        route,
        stage,
        permission,
    ]


def webhook_url() -> Join:
    """https://<api>.execute-api.<region>.amazonaws.com/webhook"""
    return Join("", [GetAtt(n.R_HTTP_API, "ApiEndpoint"), c.WEBHOOK_PATH])
