package io.parhelia.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parhelia.http.JsonErrors;
import io.parhelia.mcp.Scope;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.function.Function;

/**
 * The protected-resource metadata document (RFC 9728) that OAuth clients read after a 401: which
 * resource this is, its scopes, and which authorization servers issue tokens for it. Served
 * without authentication, with CORS open to every origin (it is public, and browser-based clients
 * such as the MCP Inspector read it cross-origin).
 */
final class ProtectedResourceMetadataServlet extends HttpServlet {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ResourceUrls urls;
    /** The issuers for a request: fixed for an external one, the request's origin for the embedded one. */
    private final Function<HttpServletRequest, List<URI>> authorizationServers;

    ProtectedResourceMetadataServlet(ResourceUrls urls, Function<HttpServletRequest, List<URI>> authorizationServers) {
        this.urls = urls;
        this.authorizationServers = authorizationServers;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Access-Control-Allow-Origin", "*");
        switch (request.getMethod()) {
            case "GET", "HEAD" -> document(request, response);
            case "OPTIONS" -> {
                response.setHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
                response.setHeader("Access-Control-Allow-Headers", "MCP-Protocol-Version");
                response.setHeader("Access-Control-Max-Age", "3600");
                response.setStatus(204);
            }
            default -> {
                response.setHeader("Allow", "GET, HEAD, OPTIONS");
                JsonErrors.write(response, 405, JsonErrors.TRANSPORT_ERROR,
                        request.getMethod() + " is not supported here; GET the metadata document", null);
            }
        }
    }

    private void document(HttpServletRequest request, HttpServletResponse response) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("resource", urls.resource(request).toString());
        List<URI> issuers = authorizationServers.apply(request);
        if (!issuers.isEmpty()) {
            ArrayNode servers = body.putArray("authorization_servers");
            issuers.forEach(server -> servers.add(server.toString()));
        }
        ArrayNode scopes = body.putArray("scopes_supported");
        for (Scope scope : Scope.values()) {
            scopes.add(scope.value());
        }
        body.putArray("bearer_methods_supported").add("header");
        body.put("resource_name", "Parhelia");
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(200);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        if (request.getMethod().equals("GET")) {
            response.getOutputStream().write(bytes);
        }
    }
}
