"""Lightship's infrastructure as code: the CDK stacks and the constructs they share.

``app.py`` calls :func:`infra.app_builder.build_app`; the tests in ``tests/infra``
call the same function, so what they assert is what ``cdk deploy`` ships.
"""
