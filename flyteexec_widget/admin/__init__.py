"""FlyteAdmin access: the gRPC client, authentication, configuration, references and errors.

The bottom layer: it knows FlyteAdmin's protocol and protobufs, and nothing of the layers above.
"""
