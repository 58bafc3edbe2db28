"""HTTP: the Starlette application, its middleware, errors and authentication.
The one place that knows requests and responses; payloads and guard stages
below it know JSON and text."""
