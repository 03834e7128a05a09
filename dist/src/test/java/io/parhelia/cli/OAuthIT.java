package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The embedded authorization server through the real launcher ({@code mcp-server --transport http --auth}):
 * a client discovers it from a 401, registers, gets consent from the holder of the admin token in
 * {@code PARHELIA_AUTH_TOKENS}, exchanges the code, and creates a task owned by that principal.
 */
class OAuthIT {

    private static final String ENV_TOKEN = "it-oauth-admin-token-0123456789";
    private static final String REDIRECT = "http://127.0.0.1:41234/callback";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final SharedHttpServer shared = new SharedHttpServer(Map.of("PARHELIA_AUTH_TOKENS", ENV_TOKEN), "--auth");
    static final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aClientAuthorizedByTheAdminCreatesTasksAsTheAdmin() throws Exception {
        String base = "http://127.0.0.1:" + shared.server().port();
        HttpResponse<String> challenge = http.send(HttpRequest.newBuilder(shared.server().mcp).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(challenge.statusCode()).isEqualTo(401);
        String issuer = getJson(base + "/.well-known/oauth-protected-resource/mcp").path("authorization_servers").get(0).asText();
        JsonNode metadata = getJson(issuer + "/.well-known/oauth-authorization-server");

        String clientId = JSON.readTree(post(metadata.path("registration_endpoint").asText(),
                "{\"client_name\":\"it\",\"redirect_uris\":[\"http://127.0.0.1/callback\"]}", "application/json").body())
                .path("client_id").asText();
        String verifier = "it-verifier-" + "v".repeat(40);
        String challengeS256 = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(metadata.path("authorization_endpoint").asText() + "?"
                + form(Map.of("response_type", "code", "client_id", clientId, "redirect_uri", REDIRECT, "state", "st",
                "code_challenge", challengeS256, "code_challenge_method", "S256", "scope", "parhelia:tasks",
                "resource", shared.server().mcp.toString())))).build(), HttpResponse.BodyHandlers.ofString());
        Matcher csrf = Pattern.compile("name=csrf value=\"([^\"]+)\"").matcher(page.body());
        assertThat(csrf.find()).as(page.body()).isTrue();
        HttpResponse<String> approved = post(base + "/authorize", form(Map.of("csrf", csrf.group(1), "admin_token", ENV_TOKEN,
                "scope", "parhelia:tasks", "decision", "approve")), "application/x-www-form-urlencoded");
        assertThat(approved.statusCode()).isEqualTo(302);
        Map<String, String> callback = query(approved.headers().firstValue("Location").orElseThrow());
        assertThat(callback).containsEntry("state", "st").containsEntry("iss", issuer);

        JsonNode tokens = JSON.readTree(post(metadata.path("token_endpoint").asText(), form(Map.of("grant_type", "authorization_code",
                "code", callback.get("code"), "code_verifier", verifier, "redirect_uri", REDIRECT, "client_id", clientId)),
                "application/x-www-form-urlencoded").body());
        var task = task(call(shared.server().client(tokens.path("access_token").asText()), "parhelia_task_create",
                Map.of("prompt", "exit=0 over oauth", "wait_seconds", 30)));

        assertThat(task.get("owner")).isEqualTo("env-1");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shared.home().resolve("auth/oauth-signing-key.json"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(shared.home().resolve("auth/oauth.json"))).doesNotContain(callback.get("code"))
                .doesNotContain(tokens.path("refresh_token").asText());
    }

    private static JsonNode getJson(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> post(String url, String body, String contentType) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String form(Map<String, String> params) {
        return params.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    private static Map<String, String> query(String url) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : URI.create(url).getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        return params;
    }
}
