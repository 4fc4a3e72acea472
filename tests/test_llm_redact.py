"""Redaction before anything is sent: each kind of secret, counted, and ordinary code left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from kairos_lsp.llm.payload import excluded
from kairos_lsp.llm.redact import redact

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "line, secret, kind",
    [
        (
            'KEY = "sk-ant-api03-{}"',
            "sk-ant-api03-" + "Jq8v2LkT9wXz4RmN7pB1cD5fG3hK6sV0yU8eA2iO4tQ9lZ",
            "anthropic_key",
        ),
        ("OPENAI_API_KEY={}", "sk-proj-4fGh7Jk9Lm2Np5Qr8St1Vw3Xy6Za0Bc4De7Fg0Hj3Kl6M", "openai_key"),
        ('openai.api_key = "{}"', "sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90", "openai_key"),
        ("aws_access_key_id = {}", "AKIAQ3EGRT7KXMPL4ZWD", "aws_access_key"),
        ('aws_secret_access_key = "{}"', "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", "aws_secret_key"),
        ("GITHUB_TOKEN: {}", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "github_token"),
        (
            'pat = "{}"',
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW",
            "github_token",
        ),
        ('WebClient(token="{}")', "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"),
        ('slack = "{}"', "xoxp-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"),
        ('stripe.api_key = "{}"', "sk_live_51H8xYzAbCdEfGhIjKlMnOpQr", "stripe_key"),
        ('restricted = "{}"', "rk_live_51H8xYzAbCdEfGhIjKlMnOpQrSt", "stripe_key"),
        (
            "Authorization: Bearer {}",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            "jwt",
        ),
        ('password = "{}"', "correct-Horse-battery-9", "password"),
        ('"db_password": "{}",', "Tr0ub4dor&3x", "password"),
        ("DB_PASSWORD: {}", "Tr0ub4dor&3x", "password"),
        ("export API_SECRET={}", "s3cr3t-v4lue-42", "password"),
        ("url = 'https://deploy:{}@git.example.com/repo.git'", "gh0st-Pa55word", "url_password"),
        ("DATABASE_URL=postgres://app:{}@db:5432/shop", "Sup3rS3cretDbPass", "url_password"),
        ("https://api.example.com/v1/items?access_token={}&page=2", "a8Fk2Lq9Zt4Wm1Xp", "url_token"),
        ('blob = "{}"', "q8ZrT4wP9xK2mN7vB3cL6jH1gF5dS0aE", "high_entropy"),
        ("SIGNING = {}", "Zq8r2Tw9Pk4Xn7Vb3Lc6Jh1Gf5Ds0Ae8Ry", "high_entropy"),
    ],
)
def test_each_kind_is_redacted_and_counted(line, secret, kind):
    found = redact(line.format(secret) + "\n")
    assert secret not in found.text
    assert found.counts.get(kind) == 1, found.counts
    assert f"[REDACTED:{kind}]" in found.text


def test_a_private_key_block_goes_whole():
    pem = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9nK5x2Lm8Pq4Rz\nY2xvdWQta2V5LWZvci10ZXN0cw==\n"
        "-----END RSA PRIVATE KEY-----"
    )
    found = redact(f'KEY = """{pem}"""\nother = 1\n')
    assert found.text == 'KEY = """[REDACTED:private_key]"""\nother = 1\n'
    assert found.counts == {"private_key": 1}
    cut = redact("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yGbxxKQ\n")  # no END: to the end
    assert cut.text == "[REDACTED:private_key]" and cut.counts == {"private_key": 1}


def test_the_same_secret_twice_counts_twice_and_overlaps_count_once():
    key = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    found = redact(f'a = "{key}"\nb = "{key}"\n')
    assert found.counts == {"github_token": 2}  # detect-secrets and our pattern both saw each: one finding each


@pytest.mark.parametrize(
    "code",
    [
        "def login(self, password: str) -> bool:",
        'password = request.form["password"]',
        "token = None",
        'PASSWORD = os.environ["PASSWORD"]',
        "secret = get_secret(name)",
        'ENV_API_KEY = "ANTHROPIC_API_KEY"',
        'GRANT_TYPE = "refresh_token"',
        'token = f"kairos-scan-{uuid.uuid4().hex[:8]}"',
        'IDENTIFIER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$"',
        "MAX_TOKENS = 200_000",
        'url = "https://github.com/python/cpython/blob/3.12/Lib/os.py#L120"',
        "the_quick_brown_fox_jumps_over_the_lazy_dog_2024 = 1",
        "AbstractSingletonProxyFactoryBean2 = 3",
        'Token: "#d8dee9",',
        "return hashlib.sha256(text.encode()).hexdigest()",
        'api_key = ""',
        '__all__ = ["BetaManagedAgentsThreadLimitWorkflowRunErrorObject"]',
    ],
)
def test_ordinary_code_is_left_alone(code):
    assert redact(code).counts == {}


def test_kairos_own_sources_draw_no_redaction():
    """A measured false-positive rate: none in this project's own code (the llm package aside,
    whose patterns and examples are secrets on purpose)."""
    files = [p for p in (REPO / "kairos_lsp").rglob("*.py") if "llm" not in p.parts]
    assert len(files) > 50
    hits = {str(p.relative_to(REPO)): redact(p.read_text(), p.name).counts for p in files}
    assert {p: c for p, c in hits.items() if c} == {}


@pytest.mark.parametrize(
    "path, extra, expected",
    [
        (".env", (), True),
        (".env.local", (), True),
        ("app/.envrc", (), True),
        ("tls/server.pem", (), True),
        ("tls/server.key", (), True),
        ("secrets/db.yaml", (), True),
        ("deploy/secrets/db.yaml", (), True),
        ("credentials.json", (), True),
        ("aws/credentials", (), True),
        ("src/environment.py", (), False),
        ("src/keys.py", (), False),
        ("src/secrets_manager.py", (), False),  # secrets/ is a folder
        ("vault/anything.py", ("vault/",), True),
        ("gen/api_keys.py", ("*_keys.py",), True),
    ],
)
def test_exclusion_globs(path, extra, expected):
    assert excluded(path, extra) is expected
