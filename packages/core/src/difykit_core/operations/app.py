"""Builders for what an app says about itself: info, parameters, meta, site."""

from __future__ import annotations

from difykit_core._call import Call
from difykit_core.models.app import AppInfo, AppMeta, AppParameters, AppSite

from ._build import call, model_parser

__all__ = ["get_info", "get_meta", "get_parameters", "get_site"]

_parse_info = model_parser(AppInfo)
_parse_parameters = model_parser(AppParameters)
_parse_meta = model_parser(AppMeta)
_parse_site = model_parser(AppSite)


def get_info() -> Call[AppInfo]:
    """The app's name, description, tags, mode and author (``GET /info``)."""
    return call("app.info", "GET", "/info", _parse_info)


def get_parameters() -> Call[AppParameters]:
    """The app's input form, opening statement and features (``GET /parameters``)."""
    return call("app.parameters", "GET", "/parameters", _parse_parameters)


def get_meta() -> Call[AppMeta]:
    """Icons of the tools the app uses (``GET /meta``)."""
    return call("app.meta", "GET", "/meta", _parse_meta)


def get_site() -> Call[AppSite]:
    """The app's WebApp settings: title, icon, theme, language (``GET /site``)."""
    return call("app.site", "GET", "/site", _parse_site)
