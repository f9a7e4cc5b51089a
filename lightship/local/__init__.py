"""The local AWS emulator: moto's server on 127.0.0.1, the resources the stacks define,
and the compute moto lacks (training jobs today; Lambda routing and alarm delivery later).

Nothing outside this package knows it is talking to an emulator: the rest of the code
reaches it through ``AWS_ENDPOINT_URL`` like any AWS endpoint.
"""
