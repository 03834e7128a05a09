package io.parhelia.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds an external issuer's JWKS URL from its metadata, at start-up: the URLs a client tries for an
 * issuer (RFC 8414 path insertion, then OpenID Connect discovery, path-inserted and path-appended),
 * and the document's {@code issuer} must be the configured issuer exactly (RFC 8414 §3.3).
 */
public final class IssuerMetadata {

    private static final ObjectMapper JSON = new ObjectMapper();

    private IssuerMetadata() {
    }

    /**
     * @throws IllegalArgumentException when no metadata document names the issuer and a {@code jwks_uri}
     */
    public static URI jwksUri(String issuer) {
        URI uri = URI.create(issuer);
        String origin = uri.getScheme() + "://" + uri.getRawAuthority();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        List<String> candidates = new ArrayList<>(List.of(
                origin + "/.well-known/oauth-authorization-server" + path,
                origin + "/.well-known/openid-configuration" + path));
        if (!path.isEmpty()) {
            candidates.add(origin + path + "/.well-known/openid-configuration");
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<String> problems = new ArrayList<>();
        for (String candidate : candidates) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(candidate))
                        .timeout(Duration.ofSeconds(10)).header("Accept", "application/json").GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    problems.add(candidate + ": HTTP " + response.statusCode());
                    continue;
                }
                JsonNode metadata = JSON.readTree(response.body());
                if (!issuer.equals(metadata.path("issuer").asText())) {
                    problems.add(candidate + ": its issuer is '" + metadata.path("issuer").asText() + "'");
                } else if (!metadata.path("jwks_uri").isTextual()) {
                    problems.add(candidate + ": no jwks_uri");
                } else {
                    return URI.create(metadata.path("jwks_uri").asText());
                }
            } catch (IOException | IllegalArgumentException e) {
                problems.add(candidate + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the metadata of " + issuer, e);
            }
        }
        throw new IllegalArgumentException("cannot find the JWKS of issuer " + issuer + ": " + String.join("; ", problems));
    }
}
