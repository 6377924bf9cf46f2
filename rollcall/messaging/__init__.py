"""Messaging kernel: contracts, topology, outbox, inbox, consumer, parking.

Every event crosses the broker in one envelope: AMQP properties carry the
message id, the correlation id (extract or ballot) and the event type; the
header ``x-rollcall-schema`` carries the contract's version; the body is the
payload as JSON, validated against the contract on both sides.
"""
