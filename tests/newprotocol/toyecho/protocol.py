"""A toy line-echo protocol: what a new protocol package declares to the harness (tests/test_new_protocol.py)."""

from vgitest.peer import PeerKind

KIND = PeerKind(protocol="toyecho", versions=("1",), make="vgitest.toyecho.peer:make",
                simulators={"1": "vgitest.toyecho.device:EchoDevice"}, listens_on_port=True,
                suites={"toy": "Toy echo"}, pics={"Hello": "the device says hello when asked"})
