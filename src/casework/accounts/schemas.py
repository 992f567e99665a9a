"""Account and authentication API shapes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casework.accounts.models import Role

Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=32)]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4096)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignupIn(Strict):
    email: Email
    password: Password
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""
    invitation_token: Token | None = None


class LoginIn(Strict):
    email: Email
    password: Password


class CookieLoginIn(LoginIn):
    code: Code | None = Field(default=None, description="TOTP or recovery code, if 2FA is on.")


class SecondFactorIn(Strict):
    pending_token: Token
    code: Code


class RefreshIn(Strict):
    refresh_token: Token


class PasswordChangeIn(Strict):
    current_password: Password
    new_password: Password


class PasswordResetRequestIn(Strict):
    email: Email


class PasswordResetIn(Strict):
    token: Token
    new_password: Password


class CodeIn(Strict):
    code: Code


class TwoFactorDisableIn(Strict):
    password: Password
    code: Code


class TokensOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (a scheme name, not a secret)
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


class LoginOut(BaseModel):
    """Either tokens, or (2FA on) a pending token to send with a code to /auth/2fa/verify."""

    two_factor_required: bool = False
    pending_token: str | None = None
    tokens: TokensOut | None = None


class MembershipOut(BaseModel):
    workspace_id: str
    slug: str
    name: str
    role: Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    email: str
    display_name: str
    two_factor_enabled: bool = False
    created_at: datetime


class MeOut(UserOut):
    workspaces: list[MembershipOut] = []


class CookieSessionOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send as X-CSRF-Token on every write.")


class EnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once. Each works once.")
