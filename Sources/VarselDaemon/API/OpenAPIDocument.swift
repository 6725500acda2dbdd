/// The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.yaml`.
enum OpenAPIDocument {
    static let yaml = """
        openapi: 3.1.0
        info: { title: Varsel, version: "1" }
        paths: {}
        """
}
