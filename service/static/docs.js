/* Swagger UI on /docs (service/docs.py): set up here rather than in an inline script, which
 * the pages' Content-Security-Policy would not run. The OpenAPI URL is the container's
 * data-openapi attribute. */
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: box.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
