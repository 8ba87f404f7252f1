"""`make bench`: Balie's performance figures (cold import, DynamoDB calls, latency) as JSON."""
