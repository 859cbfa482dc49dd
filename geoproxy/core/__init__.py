"""The pure core: routing, failover overlay, desired records, plan diff, batching, safety rules.
No I/O: never imports boto3, botocore, rich, aws or cli.
"""
