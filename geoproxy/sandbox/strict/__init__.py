"""moto's server on 127.0.0.1 with the real-AWS semantics moto 5.2 gets wrong: the emulator
behind `geoproxy sandbox`, `geoproxy demo` and the test suite.

    with StrictMotoServer(pending_polls=1) as aws:
        aws.client("route53")            # boto3 client bound to the server, fake credentials
        subprocess.run([...], env=aws.env())  # a CLI that can reach nothing but this server
        aws.count("ChangeResourceRecordSets"); aws.operations(); aws.calls
        aws.inject("GetChange", code="Throttling", times=2); aws.inject_disconnect("GetChange")
        aws.reset()                      # moto state, log, faults, pending changes

Modules: server (lifecycle, clients, env), middleware (request log, fault injection),
opnames (API names from botocore models), route53, cloudfront and certificates (restored
semantics), cloudfront_api (CloudFront operations moto has no route for), cloudfront_functions
(CloudFront Functions, their stages and associations) and cloudfront_policies (managed and
custom cache and origin request policies). It needs the `sandbox` extra (moto).
"""

from .middleware import Call
from .server import StrictMotoServer

__all__ = ["Call", "StrictMotoServer"]
