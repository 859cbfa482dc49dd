"""The strict emulator's tests, its pytest fixtures, and the IAM evaluator the suite checks
geoproxy's requests with. The emulator itself is `geoproxy.sandbox.strict`."""

from geoproxy.sandbox.strict import Call, StrictMotoServer

__all__ = ["Call", "StrictMotoServer"]
