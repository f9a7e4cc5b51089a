"""Online predictions: the FastAPI app that Lambda runs through Mangum and ``lightship serve`` runs under uvicorn.

Modules, in the order a request meets them: ``gateway`` (API Gateway events to ASGI,
with the stage as root path), ``app`` (routes), ``validation`` (JSON instances to a
numpy row in schema order, every error with its index, field and reason),
``model_holder`` (the live bundle, read from the deployment record through a TTL cache),
``metrics`` and ``capture`` (EMF metrics by model version, sampled inputs to S3),
``runtime`` (wires them from settings). ``local_server`` runs the app on loopback.

Nothing here imports pandas, pyarrow, awswrangler or the sagemaker SDK: they would
double the cold start (tests/unit/test_serving_imports.py holds that line).
"""
