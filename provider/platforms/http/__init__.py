"""The HTTP stack every platform client shares: settings, auth, transport, retry, pacing, the
recorder hooks and the `Requestor` that ties them together. No Pulumi."""
