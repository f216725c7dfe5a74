"""What an app says about itself: info, parameters (input form, features), meta and site."""

from __future__ import annotations

from pydantic import Field

from difykit_core._json import JsonValue

from ._base import DifyModel

__all__ = [
    "AppInfo",
    "AppMeta",
    "AppParameters",
    "AppSite",
    "FeatureToggle",
    "FileUploadSettings",
    "SystemParameters",
    "TextToSpeechSettings",
    "ToolIcon",
    "UserInputField",
]


class AppInfo(DifyModel):
    """Basic information about the app (``GET /info``)."""

    name: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    mode: str | None = None
    """``chat``, ``agent-chat``, ``advanced-chat``, ``completion``, ``workflow``, ``agent``…"""
    author_name: str | None = None


class FeatureToggle(DifyModel):
    """A feature of the app that is on or off (its other settings are kept as extra fields)."""

    enabled: bool = False


class TextToSpeechSettings(FeatureToggle):
    """The app's text-to-speech feature."""

    voice: str | None = None
    language: str | None = None
    autoPlay: str | None = None
    """``enabled`` or ``disabled``."""


class UserInputField(DifyModel):
    """One variable of the app's input form (``user_input_form``)."""

    variable: str
    """The key to use in ``inputs``."""
    label: str | None = None
    type: str | None = None
    """The control: ``text-input``, ``paragraph``, ``select``, ``number``, ``checkbox``,
    ``file``, ``file-list``, ``json_object``… (an open set)."""
    required: bool = False
    max_length: int | None = None
    options: list[str] | None = None
    default: JsonValue = None


class FileUploadSettings(DifyModel):
    """Which files a message or run may carry.

    Workflow-based apps fill the top-level fields; easy-UI apps use the legacy ``image``
    block instead.
    """

    enabled: bool | None = None
    allowed_file_types: list[str] | None = None
    allowed_file_extensions: list[str] | None = None
    allowed_file_upload_methods: list[str] | None = None
    number_limits: int | None = None
    image: dict[str, JsonValue] | None = None


class SystemParameters(DifyModel):
    """Server limits: upload sizes in MB and the number of files per workflow run."""

    file_size_limit: int | None = None
    image_file_size_limit: int | None = None
    audio_file_size_limit: int | None = None
    video_file_size_limit: int | None = None
    workflow_file_upload_limit: int | None = None


class AppParameters(DifyModel):
    """The app's input form and features (``GET /parameters``)."""

    opening_statement: str | None = None
    suggested_questions: list[str] = Field(default_factory=list)
    suggested_questions_after_answer: FeatureToggle | None = None
    speech_to_text: FeatureToggle | None = None
    text_to_speech: TextToSpeechSettings | None = None
    retriever_resource: FeatureToggle | None = None
    annotation_reply: FeatureToggle | None = None
    more_like_this: FeatureToggle | None = None
    sensitive_word_avoidance: FeatureToggle | None = None
    user_input_form: list[dict[str, UserInputField]] = Field(default_factory=list)
    """Dify's shape: one ``{control type: field}`` object per variable (see :attr:`inputs`)."""
    file_upload: FileUploadSettings | None = None
    system_parameters: SystemParameters | None = None

    @property
    def inputs(self) -> list[UserInputField]:
        """The input variables in form order, each with its control ``type`` filled in."""
        fields: list[UserInputField] = []
        for item in self.user_input_form:
            for control, field in item.items():
                fields.append(field if field.type else field.model_copy(update={"type": control}))
        return fields


class ToolIcon(DifyModel):
    """An emoji tool icon."""

    background: str | None = None
    content: str | None = None


class AppMeta(DifyModel):
    """Icons of the tools the app uses (``GET /meta``)."""

    tool_icons: dict[str, str | ToolIcon] = Field(default_factory=dict)
    """Tool name to an icon URL or an emoji icon."""


class AppSite(DifyModel):
    """The app's WebApp settings (``GET /site``)."""

    title: str | None = None
    chat_color_theme: str | None = None
    chat_color_theme_inverted: bool | None = None
    icon_type: str | None = None
    """``emoji`` or ``image`` (then ``icon_url`` is a signed URL)."""
    icon: str | None = None
    icon_background: str | None = None
    icon_url: str | None = None
    description: str | None = None
    copyright: str | None = None
    privacy_policy: str | None = None
    custom_disclaimer: str | None = None
    default_language: str | None = None
    show_workflow_steps: bool | None = None
    use_icon_as_answer_icon: bool | None = None
    input_placeholder: str | None = None
