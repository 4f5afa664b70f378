try:
    from generator.cli import main
except ModuleNotFoundError as exc:  # the generate dependency group is not installed here
    raise SystemExit(
        f"python -m generator needs {exc.name}: run `nox -s generate` / `nox -s generate_check`, "
        "or pip install the `generate` dependency group of pyproject.toml "
        "(openapi-python-client==0.29.1 ruff==0.17.6)"
    ) from None

raise SystemExit(main())
