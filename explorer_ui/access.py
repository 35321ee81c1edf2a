"""Who is visiting (a signed-in account, else this browser) and what the operator lets them do
(vae_core.storage.settings.AccessRules): train, cancel, delete."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import streamlit as st

from vae_core.storage.settings import AccessRules, access_rules

_KEY = "visitor_token"
# The browser's own random id, kept in its localStorage: a reload, or a tab opened later, is the same visitor.
# (crypto.getRandomValues, unlike randomUUID, works on a plain-http server too.)
_token = st.components.v2.component("visitor_token", js="""
export default function ({ setStateValue }) {
  const KEY = "latent-explorer-visitor";
  let token = null;
  try { token = localStorage.getItem(KEY); } catch (err) { /* storage blocked: this page's own id */ }
  if (!/^[0-9a-f]{32}$/.test(token ?? "")) {
    token = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    try { localStorage.setItem(KEY, token); } catch (err) { /* kept for this page only */ }
  }
  setStateValue("token", token);
}""")


@dataclass(frozen=True)
class Visitor:
    """owner: the id a run and its models are recorded under (a hash of the account or the browser's id;
    None until the browser has said who it is); email: the signed-in account's e-mail, if any; admin: that e-mail
    is on the operator's list and the provider verified it."""

    owner: str | None
    email: str | None = None
    admin: bool = False
    signed_in: bool = False


def sign_in_available() -> bool:
    """Whether the operator set up Streamlit's sign-in (an [auth] section in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def ask_the_browser() -> None:
    """Mount the browser-id component (nothing visible; put it last on the page): the page runs again once
    it answers, and `visitor()` knows the browser from then on."""
    _token(key=_KEY, height="content", on_token_change=lambda: None)


def _account() -> tuple[str | None, str | None, bool]:
    """(a stable id of the signed-in account, its e-mail, whether the provider verified that e-mail); all empty
    when nobody is signed in. The id is the provider's subject, not the e-mail: some providers let a user type any
    e-mail, so an e-mail alone must neither own another's models nor make an admin."""
    if not (sign_in_available() and st.user.is_logged_in):
        return None, None, False
    email = str(st.user.get("email") or "").strip().lower() or None
    subject = str(st.user.get("sub") or "")
    verified = email is not None and st.user.get("email_verified") is True
    if subject:
        return f"{st.user.get('iss') or ''}|{subject}", email, verified
    return (f"email:{email}", email, True) if verified else (None, None, False)  # no subject: a verified e-mail or nobody


def visitor() -> Visitor:
    """This visitor, as far as known: the page must also call `ask_the_browser()` in every run."""
    account, email, verified = _account()
    raw = st.session_state.get(_KEY)
    token = raw.get("token") if hasattr(raw, "get") else None
    if account is not None:
        identity = f"account:{account}"
    elif isinstance(token, str) and re.fullmatch(r"[0-9a-f]{32}", token):
        identity = f"browser:{token}"
    else:
        identity = None
    owner = hashlib.sha256(identity.encode()).hexdigest()[:32] if identity else None
    return Visitor(owner, email if account else None, verified and email in access_rules().admins,
                   signed_in=account is not None)


def _admits(who: str, visitor: Visitor) -> bool:
    return {"off": False, "everyone": True, "signed-in": visitor.signed_in, "admins": visitor.admin}[who]


def why_not_train(visitor: Visitor, rules: AccessRules | None = None) -> str | None:
    """Why this visitor may not start a run (a sentence), or None."""
    rules = rules or access_rules()
    if _admits(rules.training, visitor):
        return None
    if rules.training == "off":
        return "Training is turned off on this server."
    if not sign_in_available():
        return "Training here is for signed-in visitors, and this server has no sign-in set up."
    if rules.training == "signed-in":
        return "Sign in to train a model on this server."
    return "Only this server's admins may train here."


def may_cancel(visitor: Visitor, run_owner: str) -> bool:
    return visitor.admin or (visitor.owner is not None and visitor.owner == run_owner)


def may_delete(visitor: Visitor, model_owner: str, rules: AccessRules | None = None) -> bool:
    """Its owner (when the rules admit them) or an admin; nobody when deleting is off."""
    rules = rules or access_rules()
    if rules.deleting == "off":
        return False
    return visitor.admin or (_admits(rules.deleting, visitor) and visitor.owner is not None and visitor.owner == model_owner)
