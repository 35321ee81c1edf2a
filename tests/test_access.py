"""Who may train, cancel and delete (explorer_ui.access) under each of the operator's rules (AccessRules)."""
import pytest

import explorer_ui as ui
from explorer_ui import access
from vae_core.storage.settings import AccessRules, access_rules

BROWSER = ui.Visitor("owner-a")
OTHER_BROWSER = ui.Visitor("owner-b")
SIGNED_IN = ui.Visitor("owner-c", "student@example.org", signed_in=True)
ADMIN = ui.Visitor("owner-d", "teacher@example.org", admin=True, signed_in=True)
UNKNOWN = ui.Visitor(None)  # before the browser has said who it is


@pytest.mark.parametrize("rule, trains", [("everyone", {BROWSER, SIGNED_IN, ADMIN}), ("signed-in", {SIGNED_IN, ADMIN}),
                                          ("admins", {ADMIN}), ("off", set())])
def test_who_may_train(monkeypatch, rule, trains):
    monkeypatch.setattr(access, "sign_in_available", lambda: True)
    rules = AccessRules(training=rule)
    for visitor in (BROWSER, SIGNED_IN, ADMIN):
        assert (ui.why_not_train(visitor, rules) is None) == (visitor in trains), (rule, visitor)
    if rule == "off":
        assert ui.why_not_train(ADMIN, rules) == "Training is turned off on this server."
    if rule == "signed-in":
        assert ui.why_not_train(BROWSER, rules) == "Sign in to train a model on this server."


def test_signed_in_rules_without_sign_in_set_up_admit_no_one_and_say_why(monkeypatch):
    monkeypatch.setattr(access, "sign_in_available", lambda: False)
    assert ui.why_not_train(BROWSER, AccessRules(training="signed-in")) == (
        "Training here is for signed-in visitors, and this server has no sign-in set up.")


def test_a_run_and_a_model_are_their_owners_or_an_admins():
    assert ui.may_cancel(BROWSER, "owner-a") and not ui.may_cancel(OTHER_BROWSER, "owner-a")
    assert ui.may_cancel(ADMIN, "owner-a") and not ui.may_cancel(UNKNOWN, "owner-a")
    everyone = AccessRules()
    assert ui.may_delete(BROWSER, "owner-a", everyone) and not ui.may_delete(OTHER_BROWSER, "owner-a", everyone)
    assert ui.may_delete(ADMIN, "owner-a", everyone) and not ui.may_delete(UNKNOWN, "owner-a", everyone)
    signed = AccessRules(deleting="signed-in")
    assert not ui.may_delete(BROWSER, "owner-a", signed) and ui.may_delete(SIGNED_IN, "owner-c", signed)
    assert not ui.may_delete(SIGNED_IN, "owner-a", signed)
    admins = AccessRules(deleting="admins")
    assert not ui.may_delete(BROWSER, "owner-a", admins) and ui.may_delete(ADMIN, "owner-a", admins)
    assert not any(ui.may_delete(v, "owner-a", AccessRules(deleting="off")) for v in (BROWSER, ADMIN))


def test_the_operator_sets_the_rules_in_the_environment(monkeypatch):
    assert access_rules() == AccessRules()
    monkeypatch.setenv("LATENT_EXPLORER_TRAINING", "Signed-In")
    monkeypatch.setenv("LATENT_EXPLORER_DELETING", "admins")
    monkeypatch.setenv("LATENT_EXPLORER_ADMINS", " Teacher@Example.org, ta@example.org,")
    assert access_rules() == AccessRules("signed-in", "admins", ("ta@example.org", "teacher@example.org"))
    monkeypatch.setenv("LATENT_EXPLORER_TRAINING", "anyone")
    with pytest.raises(ValueError, match="LATENT_EXPLORER_TRAINING must be one of off, everyone, signed-in, admins"):
        access_rules()
