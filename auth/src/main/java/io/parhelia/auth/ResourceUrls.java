package io.parhelia.auth;

import io.parhelia.http.McpHttpServer;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The canonical URL of the MCP endpoint (the protected resource) and of its metadata document.
 * Behind a proxy it is configured ({@code --public-url}), because the request's scheme and Host
 * are then the proxy's view, not the client's; otherwise it is the URL the request was sent to.
 * Either way it is lower-case in scheme and host, with no trailing slash, query or fragment
 * (MCP authorization, "Canonical Server URI").
 */
public final class ResourceUrls {

    static final String METADATA_PATH = "/.well-known/oauth-protected-resource";

    private final URI configured;

    private ResourceUrls(URI configured) {
        this.configured = configured;
    }

    /** The resource is the URL each request was sent to. */
    public static ResourceUrls fromRequests() {
        return new ResourceUrls(null);
    }

    /**
     * The resource is {@code publicUrl}: the MCP endpoint's URL as clients reach it, e.g. {@code https://parhelia.example.com/mcp}.
     *
     * @throws IllegalArgumentException when it is not an absolute http(s) URL without query or fragment
     */
    public static ResourceUrls configured(String publicUrl) {
        URI uri;
        try {
            uri = new URI(publicUrl);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--public-url '" + publicUrl + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null || uri.getRawQuery() != null
                || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("--public-url must be the MCP endpoint's absolute http(s) URL without "
                    + "user, query or fragment, e.g. https://parhelia.example.com/mcp; got '" + publicUrl + "'");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        String authority = uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
        return new ResourceUrls(URI.create(scheme + "://" + authority + path));
    }

    /** The canonical URL of the MCP endpoint, for PRM {@code resource} and a JWT's expected audience. */
    public URI resource(HttpServletRequest request) {
        if (configured != null) {
            return configured;
        }
        String host = request.getHeader("Host");
        if (host == null || host.isBlank()) {
            host = request.getServerName() + ":" + request.getServerPort();
        }
        return URI.create(request.getScheme().toLowerCase(Locale.ROOT) + "://" + host.toLowerCase(Locale.ROOT)
                + McpHttpServer.MCP_PATH);
    }

    /**
     * Where the resource's metadata is (RFC 9728 §3.1): the well-known path inserted between host and path,
     * e.g. {@code https://h/.well-known/oauth-protected-resource/mcp}.
     */
    public URI metadata(HttpServletRequest request) {
        URI resource = resource(request);
        return URI.create(resource.getScheme() + "://" + resource.getRawAuthority() + METADATA_PATH + resource.getRawPath());
    }
}
