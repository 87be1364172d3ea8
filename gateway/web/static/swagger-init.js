// Starts Swagger UI on /api/docs; a file of its own because the Content-Security-Policy forbids inline script.
// The bundled Swagger UI (4.x) only accepts documents labelled OpenAPI 3.0; ours is 3.1 (as FastAPI
// writes it) and renders well once relabelled, so the published document itself stays accurate.
"use strict";

const container = document.getElementById("swagger-ui");
fetch(container.dataset.specUrl)
  .then((response) => response.json())
  .then((spec) => {
    spec.openapi = "3.0.3";
    window.ui = SwaggerUIBundle({ spec: spec, dom_id: "#swagger-ui", deepLinking: true });
  });
