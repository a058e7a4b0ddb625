"""The Plinth policy pack (Pulumi CrossGuard). Rules live in `policies.rules`."""
