"""The CloudFormation template, built with troposphere: one builder per resource group."""

from infra.template import build_template

__all__ = ["build_template"]
