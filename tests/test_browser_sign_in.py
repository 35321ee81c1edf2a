"""Signing in with Streamlit's st.login against a real OpenID Connect provider (oidc-provider-mock on
loopback): who may train is decided by the account, and an e-mail the provider did not verify makes no admin."""
from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.browser_support import copy_default_model, free_port, streamlit_server
from vae_core.storage import settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]
pytest.importorskip("playwright.sync_api")
pytest.importorskip("authlib", reason="st.login needs Authlib (requirements.txt)")
oidc = pytest.importorskip("oidc_provider_mock", reason="the test provider comes from requirements-dev.txt")

ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "teacher@school.example"
T = 60_000


@pytest.fixture(scope="module")
def provider():
    users = [oidc.User(sub="teacher", claims={"email": ADMIN_EMAIL, "email_verified": True}),
             oidc.User(sub="student", claims={"email": "student@school.example", "email_verified": True}),
             oidc.User(sub="impostor", claims={"email": ADMIN_EMAIL, "email_verified": False})]  # anyone can type an e-mail
    with oidc.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def server(provider, tmp_path_factory, data_root):
    folder = tmp_path_factory.mktemp("signin")
    models = folder / "models"
    models.mkdir()
    copy_default_model(models)
    port = free_port()
    (folder / "secrets.toml").write_text(
        f'[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\ncookie_secret = "{secrets.token_hex(16)}"\n'
        f'client_id = "latent-explorer"\nclient_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n')
    env = {"MNIST_DATA_ROOT": str(settings.data_root()), "LATENT_EXPLORER_MODELS": str(models),
           "LATENT_EXPLORER_TRAINING": "admins", "LATENT_EXPLORER_ADMINS": ADMIN_EMAIL}
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90, port=port,
                          options=("--secrets.files", str(folder / "secrets.toml"))) as url:
        yield url


def train_page(browser, url: str):
    """The Train page in a browser of its own (its own cookies: a visitor of its own)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(T)
    pg = context.new_page()
    pg.goto(f"{url}/Train")
    pg.get_by_role("heading", name="Train a model").wait_for()
    return pg


def sign_in(pg, url: str, subject: str) -> None:
    pg.get_by_role("button", name="Sign in").click()
    pg.locator("input[name=sub]").fill(subject)  # the provider's own form
    pg.get_by_role("button", name="Authorize").click()
    pg.wait_for_url(f"{url}/**")
    pg.goto(f"{url}/Train")


def test_only_a_verified_admin_account_may_train(browser, server):
    nobody = train_page(browser, server)
    nobody.get_by_text("Only this server's admins may train here.").wait_for()
    assert nobody.get_by_role("button", name="Start training").count() == 0

    for subject, email in (("student", "student@school.example"), ("impostor", ADMIN_EMAIL)):
        pg = train_page(browser, server)
        sign_in(pg, server, subject)
        pg.get_by_text(f"Signed in as {email}", exact=True).wait_for()  # signed in, and not an admin
        pg.get_by_text("Only this server's admins may train here.").wait_for()
        assert pg.get_by_role("button", name="Start training").count() == 0
        assert pg.get_by_role("button", name="Sign in").count() == 0
        pg.context.close()

    teacher = train_page(browser, server)
    sign_in(teacher, server, "teacher")
    teacher.get_by_text(f"Signed in as {ADMIN_EMAIL} (an admin of this server)").wait_for()
    teacher.get_by_role("button", name="Start training").wait_for()

    with teacher.expect_navigation():  # Streamlit's logout reloads the app
        teacher.get_by_role("button", name="Sign out").click()
    teacher.goto(f"{server}/Train")
    teacher.get_by_text("Only this server's admins may train here.").wait_for()
    teacher.get_by_role("button", name="Sign in").wait_for()
    nobody.context.close()
    teacher.context.close()
