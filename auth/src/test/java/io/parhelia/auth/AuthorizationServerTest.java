package io.parhelia.auth;

import static io.parhelia.auth.ToolsOverHttp.CREATE_CALL;
import static io.parhelia.auth.ToolsOverHttp.INITIALIZE_CALL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.parhelia.engine.MutableClock;
import io.parhelia.http.HttpSettings;
import io.parhelia.http.McpHttpServer;
import io.parhelia.mcp.Scope;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded authorization server and its JWTs, over a real Jetty serving the real tools on a real
 * engine and store, driven as an OAuth client drives it (java.net.http, no redirects followed). Every
 * hostile case checks its status and error code and that neither the OAuth store file nor the tasks
 * table changed (except where revoking is the point).
 */
class AuthorizationServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REGISTERED_REDIRECT = "http://127.0.0.1/callback";
    /** What a native client really sends: the registered loopback redirect on an ephemeral port. */
    private static final String REDIRECT = "http://127.0.0.1:53682/callback";
    private static final String PASSWORD = "correct-horse-battery-staple";
    private static final Pattern CSRF = Pattern.compile("name=csrf value=\"([^\"]+)\"");

    @TempDir
    static Path home;
    static ToolsOverHttp tools;
    static SigningKey signingKey;
    static String admin;
    static String tasksOnly;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        tools = ToolsOverHttp.open(home);
        TokenStore tokens = TokenStore.open(home);
        admin = tokens.create("root-laptop", "root", Set.of(Scope.ADMIN), Duration.ofDays(1)).token();
        tasksOnly = tokens.create("alice", "alice", Set.of(Scope.TASKS), Duration.ofDays(1)).token();
        AuthorizationServer as = AuthorizationServer.open(home, ResourceUrls.fromRequests(),
                TokenVerifier.firstOf(List.of(tokens, ConsentPassword.parse(PASSWORD))));
        signingKey = SigningKey.loadOrCreate(home);
        HttpAuth auth = HttpAuth.builder(TokenVerifier.firstOf(List.of(tokens, as.verifier())))
                .embeddedAuthorizationServer(as)
                .tools(tools.mcp.tools())
                .build();
        tools.serve(auth.install(McpHttpServer.builder(HttpSettings.loopback())));
    }

    @AfterAll
    static void stop() throws Exception {
        tools.close();
    }

    // ---- the whole flow ----

    @Test
    void aClientRunsTheWholeFlowFromA401ToRefreshedTokens() throws Exception {
        HttpResponse<String> challenge = post("/mcp", INITIALIZE_CALL, "application/json", null);
        assertThat(challenge.statusCode()).isEqualTo(401);
        Matcher prmUrl = Pattern.compile("resource_metadata=\"([^\"]+)\"")
                .matcher(challenge.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertThat(prmUrl.find()).isTrue();

        JsonNode prm = getJson(prmUrl.group(1));
        assertThat(prm.path("resource").asText()).isEqualTo(resource());
        String issuer = prm.path("authorization_servers").get(0).asText();
        assertThat(issuer).isEqualTo(tools.base());

        JsonNode metadata = getJson(issuer + "/.well-known/oauth-authorization-server");
        assertThat(metadata.path("issuer").asText()).isEqualTo(issuer);
        assertThat(metadata.path("code_challenge_methods_supported").toString()).isEqualTo("[\"S256\"]");
        assertThat(metadata.path("token_endpoint_auth_methods_supported").toString()).contains("none");
        assertThat(metadata.path("authorization_response_iss_parameter_supported").asBoolean()).isTrue();
        assertThat(getJson(issuer + "/.well-known/openid-configuration")).isEqualTo(metadata);

        HttpResponse<String> registered = post(metadata.path("registration_endpoint").asText(),
                "{\"client_name\":\"Claude Code <test>\",\"redirect_uris\":[\"" + REGISTERED_REDIRECT + "\"],"
                        + "\"token_endpoint_auth_method\":\"none\",\"application_type\":\"native\"}", "application/json", null);
        assertThat(registered.statusCode()).isEqualTo(201);
        String clientId = JSON.readTree(registered.body()).path("client_id").asText();

        String verifier = verifier();
        HttpResponse<String> consentPage = get(metadata.path("authorization_endpoint").asText() + "?" + form(Map.of(
                "response_type", "code", "client_id", clientId, "redirect_uri", REDIRECT, "state", "xyz-state",
                "code_challenge", AuthorizationServer.s256(verifier), "code_challenge_method", "S256",
                "scope", "parhelia:read parhelia:tasks", "resource", resource())));
        assertThat(consentPage.statusCode()).isEqualTo(200);
        assertThat(consentPage.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(consentPage.body()).contains("Claude Code &lt;test&gt;").contains("<b>127.0.0.1</b>")
                .contains("value=\"parhelia:read\"").contains("value=\"parhelia:tasks\"").doesNotContain("<test>");

        HttpResponse<String> approved = consent(csrf(consentPage), admin, "parhelia:read", "parhelia:tasks");
        assertThat(approved.statusCode()).isEqualTo(302);
        Map<String, String> callback = query(approved.headers().firstValue("Location").orElseThrow());
        assertThat(approved.headers().firstValue("Location").orElseThrow()).startsWith(REDIRECT + "?");
        assertThat(callback).containsEntry("state", "xyz-state").containsEntry("iss", issuer).containsKey("code");

        HttpResponse<String> tokenResponse = post(metadata.path("token_endpoint").asText(), form(Map.of(
                "grant_type", "authorization_code", "code", callback.get("code"), "code_verifier", verifier,
                "redirect_uri", REDIRECT, "client_id", clientId, "resource", resource())), null, null);
        assertThat(tokenResponse.statusCode()).isEqualTo(200);
        assertThat(tokenResponse.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode tokens = JSON.readTree(tokenResponse.body());
        assertThat(tokens.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(tokens.path("expires_in").asLong()).isEqualTo(3600);
        assertThat(tokens.path("scope").asText()).isEqualTo("parhelia:read parhelia:tasks");
        SignedJWT accessToken = SignedJWT.parse(tokens.path("access_token").asText());
        assertThat(accessToken.getHeader().getType().getType()).isEqualTo("at+jwt");
        assertThat(accessToken.getJWTClaimsSet().getAudience()).containsExactly(resource());

        McpSyncClient client = tools.client(tokens.path("access_token").asText());
        McpSchema.CallToolResult created = client.callTool(new McpSchema.CallToolRequest("parhelia_task_create",
                Map.of("prompt", "made over OAuth")));
        assertThat(created.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(JSON.valueToTree(created.structuredContent()).path("task").path("owner").asText()).isEqualTo("root");

        JsonNode refreshed = JSON.readTree(refresh(clientId, tokens.path("refresh_token").asText(), null).body());
        assertThat(refreshed.path("refresh_token").asText()).isNotEqualTo(tokens.path("refresh_token").asText());
        assertThat(tools.client(refreshed.path("access_token").asText()).listTools().tools()).isNotEmpty();

        HttpResponse<String> reused = refresh(clientId, tokens.path("refresh_token").asText(), null);
        assertOAuthError(reused, 400, "invalid_grant");
        assertOAuthError(refresh(clientId, refreshed.path("refresh_token").asText(), null), 400, "invalid_grant");
        assertThat(post("/mcp", INITIALIZE_CALL, "application/json", "Bearer " + refreshed.path("access_token").asText())
                .statusCode()).as("the family's access tokens are revoked with it").isEqualTo(401);
    }

    // ---- hostile JWTs: each refused 401 on a tools/call, with no task made ----

    @Test
    void anUnsignedJwtIsRefused() throws Exception {
        assertJwtRefused(new PlainJWT(claims().build()).serialize());
    }

    @Test
    void anHmacTokenKeyedWithThePublicKeyIsRefused() throws Exception {
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType("at+jwt"))
                .keyID(signingKey.keyId()).build(), claims().build());
        forged.sign(new MACSigner(signingKey.publicKeys().toString().getBytes(StandardCharsets.UTF_8)));
        assertJwtRefused(forged.serialize());
    }

    @Test
    void aTokenForAnotherAudienceIsRefused() throws Exception {
        assertJwtRefused(signingKey.sign(claims().audience("https://other.example/mcp").build()));
    }

    @Test
    void aTokenFromAnotherIssuerIsRefused() throws Exception {
        assertJwtRefused(signingKey.sign(claims().issuer("https://evil.example").build()));
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        assertJwtRefused(signingKey.sign(claims().expirationTime(Date.from(Instant.now().minusSeconds(120))).build()));
    }

    @Test
    void aTokenNotYetValidIsRefused() throws Exception {
        assertJwtRefused(signingKey.sign(claims().notBeforeTime(Date.from(Instant.now().plusSeconds(600))).build()));
    }

    @Test
    void aTokenSignedWithAnUnknownKeyIsRefused() throws Exception {
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("stranger").generate();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("at+jwt"))
                .keyID("stranger").build(), claims().build());
        jwt.sign(new ECDSASigner(stranger));
        assertJwtRefused(jwt.serialize());
    }

    @Test
    void aWellSignedTokenOfTheRightShapeIsAcceptedSoTheRefusalsAboveAreAboutTheirFlaw() throws Exception {
        HttpResponse<String> response = post("/mcp", INITIALIZE_CALL, "application/json", "Bearer " + signingKey.sign(claims().build()));
        assertThat(response.statusCode()).isEqualTo(200);
    }

    // ---- hostile authorization requests ----

    @Test
    void anAuthorizationRequestWithoutPkceIsSentBackWithAnError() throws Exception {
        String clientId = register();
        assertRedirectError(authorize(clientId, REDIRECT, Map.of()), "invalid_request");
    }

    @Test
    void plainPkceIsRefused() throws Exception {
        String clientId = register();
        assertRedirectError(authorize(clientId, REDIRECT, Map.of("code_challenge", verifier(), "code_challenge_method", "plain")),
                "invalid_request");
    }

    @Test
    void aResourceOtherThanThisServerIsRefused() throws Exception {
        String clientId = register();
        assertRedirectError(authorize(clientId, REDIRECT, pkce(verifier(), "https://other.example/mcp")), "invalid_target");
    }

    @Test
    void aRedirectUriNotRegisteredIsRefusedWithoutRedirecting() throws Exception {
        String clientId = register();
        String before = storeFile();
        for (String redirect : List.of("http://127.0.0.1:53682/other", "http://localhost:53682/callback", "https://evil.example/callback")) {
            HttpResponse<String> response = authorize(clientId, redirect, pkce(verifier(), resource()));
            assertThat(response.statusCode()).as(redirect).isEqualTo(400);
            assertThat(response.headers().firstValue("Location")).isEmpty();
        }
        assertThat(storeFile()).isEqualTo(before);
    }

    @Test
    void anUnregisteredClientIsRefusedAtAuthorizeAndAtToken() throws Exception {
        String before = storeFile();
        assertThat(authorize("no-such-client", REDIRECT, pkce(verifier(), resource())).statusCode()).isEqualTo(400);
        assertOAuthError(post("/token", form(Map.of("grant_type", "authorization_code", "code", "x", "code_verifier", "y",
                "redirect_uri", REDIRECT, "client_id", "no-such-client")), null, null), 401, "invalid_client");
        assertThat(storeFile()).isEqualTo(before);
    }

    @Test
    void consentNeedsAnAdminTokenOrThePasswordAndAFormTokenThisServerIssued() throws Exception {
        String clientId = register();
        String csrf = csrf(authorize(clientId, REDIRECT, pkce(verifier(), resource())));
        String before = storeFile();

        assertThat(consent(csrf, tasksOnly, "parhelia:read").statusCode()).isEqualTo(403);
        assertThat(consent(csrf, "phl_wrong-password-or-token", "parhelia:read").statusCode()).isEqualTo(403);
        assertThat(consent(null, admin, "parhelia:read").statusCode()).isEqualTo(400);
        assertThat(consent("phl_forged", admin, "parhelia:read").statusCode()).isEqualTo(400);
        assertThat(consent(csrf, "correct-horse-battery", "parhelia:read").statusCode()).as("a wrong password").isEqualTo(403);
        assertThat(storeFile()).isEqualTo(before);

        assertThat(consent(csrf, admin, "parhelia:read").statusCode()).as("the form still works for the right person").isEqualTo(302);
    }

    @Test
    void tenWrongProofsLockTheConsentFormForAMinuteWithoutCheckingAnotherProof() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        TokenStore tokens = TokenStore.open(home);
        AuthorizationServer throttled = AuthorizationServer.open(home, ResourceUrls.fromRequests(), tokens,
                AuthorizationServer.DEFAULT_ACCESS_TOKEN_LIFETIME, clock);
        McpHttpServer server = HttpAuth.builder(tokens).embeddedAuthorizationServer(throttled)
                .build().install(McpHttpServer.builder(HttpSettings.loopback())).mcp(tools.mcp::bind).build().start();
        try {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> registered = post(base + "/register",
                    "{\"redirect_uris\":[\"" + REGISTERED_REDIRECT + "\"]}", "application/json", null);
            Map<String, String> params = new LinkedHashMap<>(Map.of("response_type", "code", "redirect_uri", REDIRECT, "state", "s",
                    "client_id", JSON.readTree(registered.body()).path("client_id").asText()));
            params.putAll(pkce(verifier(), base + "/mcp"));
            String csrf = csrf(get(base + "/authorize?" + form(params)));
            String approve = "decision=approve&scope=parhelia%3Aread&csrf=" + enc(csrf) + "&admin_token=";
            for (int i = 0; i < ConsentThrottle.ADDRESS_LIMIT; i++) {
                assertThat(post(base + "/authorize", approve + enc("phl_guess-" + i), null, null).statusCode()).isEqualTo(403);
            }
            String before = storeFile();

            HttpResponse<String> locked = post(base + "/authorize", approve + enc(admin), null, null);
            assertThat(locked.statusCode()).isEqualTo(429);
            assertThat(locked.headers().firstValue("Retry-After")).hasValue("60");
            assertThat(locked.body()).contains("Too many wrong admin tokens or passwords: nothing was checked");
            assertThat(storeFile()).isEqualTo(before);

            clock.advance(ConsentThrottle.FIRST_LOCKOUT);
            assertThat(post(base + "/authorize", approve + enc(admin), null, null).statusCode()).isEqualTo(302);
        } finally {
            server.stop();
        }
    }

    @Test
    void thePasswordConsentsAsTheAdminPrincipalButIsNoBearerToken() throws Exception {
        String clientId = register();
        String verifier = verifier();
        Map<String, String> params = new LinkedHashMap<>(pkce(verifier, resource()));
        params.put("scope", "parhelia:tasks");
        HttpResponse<String> approved = consent(csrf(authorize(clientId, REDIRECT, params)), PASSWORD, "parhelia:tasks");
        String code = query(approved.headers().firstValue("Location").orElseThrow()).get("code");
        String access = JSON.readTree(exchange(clientId, code, verifier, REDIRECT).body()).path("access_token").asText();

        assertThat(SignedJWT.parse(access).getJWTClaimsSet().getSubject()).isEqualTo(ConsentPassword.PRINCIPAL);
        assertThat(post("/mcp", INITIALIZE_CALL, "application/json", "Bearer " + PASSWORD).statusCode()).isEqualTo(401);
    }

    @Test
    void registrationsOlderThan90DaysWithoutALiveGrantAreDroppedByTheNextRegistrationOfAnyServerOnTheHome() throws Exception {
        String old = register();
        AuthorizationServer later = AuthorizationServer.open(home, ResourceUrls.fromRequests(), (token, resource) -> Verification.UNRECOGNIZED,
                AuthorizationServer.DEFAULT_ACCESS_TOKEN_LIFETIME,
                java.time.Clock.offset(java.time.Clock.systemUTC(), OAuthStore.IDLE_CLIENT_LIFETIME.plusDays(1)));
        McpHttpServer laterServer = HttpAuth.builder((token, resource) -> Verification.UNRECOGNIZED).embeddedAuthorizationServer(later)
                .build().install(McpHttpServer.builder(HttpSettings.loopback())).mcp(tools.mcp::bind).build().start();
        try {
            HttpResponse<String> registered = post("http://127.0.0.1:" + laterServer.port() + "/register",
                    "{\"redirect_uris\":[\"" + REGISTERED_REDIRECT + "\"]}", "application/json", null);
            assertThat(registered.statusCode()).isEqualTo(201);
            String fresh = JSON.readTree(registered.body()).path("client_id").asText();

            assertThat(authorize(old, REDIRECT, pkce(verifier(), resource())).statusCode()).isEqualTo(400);
            assertThat(new OAuthStore(home).read().clients()).extracting(OAuthStore.Client::clientId).contains(fresh).doesNotContain(old);
        } finally {
            laterServer.stop();
        }
    }

    @Test
    void anOldRegistrationWithALiveGrantIsKept() {
        long now = Instant.now().getEpochSecond();
        long old = now - OAuthStore.IDLE_CLIENT_LIFETIME.toSeconds() - 1;
        OAuthStore.State state = new OAuthStore.State(
                List.of(new OAuthStore.Client("granted", "a", List.of(REGISTERED_REDIRECT), old),
                        new OAuthStore.Client("idle", "b", List.of(REGISTERED_REDIRECT), old)),
                List.of(), List.of(),
                List.of(new OAuthStore.Grant("g", "granted", "root", List.of("parhelia:read"), resource(), now, null, List.of(),
                        now + 60, null)));

        assertThat(state.pruned(now).clients()).extracting(OAuthStore.Client::clientId).containsExactly("granted");
    }

    // ---- hostile token requests ----

    @Test
    void aWrongVerifierIsRefusedAndTheCodeStaysUnspent() throws Exception {
        String clientId = register();
        String verifier = verifier();
        String code = code(clientId, verifier, "parhelia:tasks");
        String before = storeFile();

        assertOAuthError(exchange(clientId, code, verifier(), REDIRECT), 400, "invalid_grant");
        assertOAuthError(exchange(clientId, code, verifier, "http://127.0.0.1:9/callback"), 400, "invalid_grant");

        assertThat(storeFile()).isEqualTo(before);
        assertThat(exchange(clientId, code, verifier, REDIRECT).statusCode()).isEqualTo(200);
    }

    @Test
    void aReplayedCodeIsRefusedAndRevokesWhatItIssued() throws Exception {
        String clientId = register();
        String verifier = verifier();
        String code = code(clientId, verifier, "parhelia:tasks");
        JsonNode first = JSON.readTree(exchange(clientId, code, verifier, REDIRECT).body());
        String access = first.path("access_token").asText();
        assertThat(post("/mcp", INITIALIZE_CALL, "application/json", "Bearer " + access).statusCode()).isEqualTo(200);

        assertOAuthError(exchange(clientId, code, verifier, REDIRECT), 400, "invalid_grant");

        assertThat(post("/mcp", INITIALIZE_CALL, "application/json", "Bearer " + access).statusCode()).isEqualTo(401);
        assertOAuthError(refresh(clientId, first.path("refresh_token").asText(), null), 400, "invalid_grant");
    }

    @Test
    void aRefreshCannotAddScopesButMayNarrowThem() throws Exception {
        String clientId = register();
        String verifier = verifier();
        JsonNode tokens = JSON.readTree(exchange(clientId, code(clientId, verifier, "parhelia:read"), verifier, REDIRECT).body());
        String before = storeFile();

        assertOAuthError(refresh(clientId, tokens.path("refresh_token").asText(), "parhelia:read parhelia:admin"), 400, "invalid_scope");
        assertThat(storeFile()).isEqualTo(before);

        JsonNode narrowed = JSON.readTree(refresh(clientId, tokens.path("refresh_token").asText(), "parhelia:read").body());
        assertThat(narrowed.path("scope").asText()).isEqualTo("parhelia:read");
    }

    @Test
    void anotherClientCannotUseARefreshToken() throws Exception {
        String clientId = register();
        String verifier = verifier();
        JsonNode tokens = JSON.readTree(exchange(clientId, code(clientId, verifier, "parhelia:read"), verifier, REDIRECT).body());
        String other = register();
        String before = storeFile();

        assertOAuthError(refresh(other, tokens.path("refresh_token").asText(), null), 400, "invalid_grant");
        assertThat(storeFile()).isEqualTo(before);
    }

    @Test
    void revokingARefreshTokenRevokesItsAccessTokens() throws Exception {
        String clientId = register();
        String verifier = verifier();
        JsonNode tokens = JSON.readTree(exchange(clientId, code(clientId, verifier, "parhelia:read"), verifier, REDIRECT).body());

        HttpResponse<String> revoked = post("/revoke", form(Map.of("token", tokens.path("refresh_token").asText(),
                "client_id", clientId)), null, null);

        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThat(post("/mcp", INITIALIZE_CALL, "application/json", "Bearer " + tokens.path("access_token").asText())
                .statusCode()).isEqualTo(401);
        assertOAuthError(refresh(clientId, tokens.path("refresh_token").asText(), null), 400, "invalid_grant");
    }

    @Test
    void anUnknownGrantTypeIsNamedAsSuch() throws Exception {
        String clientId = register();
        assertOAuthError(post("/token", form(Map.of("grant_type", "password", "client_id", clientId)), null, null),
                400, "unsupported_grant_type");
    }

    // ---- helpers ----

    private static JWTClaimsSet.Builder claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(tools.base()).subject("root").audience(resource()).jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).claim("scope", "parhelia:tasks");
    }

    private static void assertJwtRefused(String jwt) throws Exception {
        String session = session();
        long before = tools.tasks();
        String storeBefore = storeFile();

        HttpResponse<String> response = post("/mcp", CREATE_CALL, "application/json", "Bearer " + jwt, session);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer error=\"invalid_token\"");
        assertThat(tools.tasks()).isEqualTo(before);
        assertThat(storeFile()).isEqualTo(storeBefore);
    }

    private static void assertRedirectError(HttpResponse<String> response, String error) throws Exception {
        assertThat(response.statusCode()).isEqualTo(302);
        Map<String, String> callback = query(response.headers().firstValue("Location").orElseThrow());
        assertThat(callback).containsEntry("error", error).containsEntry("state", "s").containsEntry("iss", tools.base())
                .doesNotContainKey("code");
    }

    private static void assertOAuthError(HttpResponse<String> response, int status, String error) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(JSON.readTree(response.body()).path("error").asText()).isEqualTo(error);
    }

    private static String register() throws Exception {
        HttpResponse<String> response = post("/register", "{\"client_name\":\"test\",\"redirect_uris\":[\"" + REGISTERED_REDIRECT + "\"]}",
                "application/json", null);
        assertThat(response.statusCode()).isEqualTo(201);
        return JSON.readTree(response.body()).path("client_id").asText();
    }

    private static Map<String, String> pkce(String verifier, String resource) {
        return Map.of("code_challenge", AuthorizationServer.s256(verifier), "code_challenge_method", "S256", "resource", resource);
    }

    private static HttpResponse<String> authorize(String clientId, String redirect, Map<String, String> extra) throws Exception {
        Map<String, String> params = new LinkedHashMap<>(Map.of("response_type", "code", "client_id", clientId,
                "redirect_uri", redirect, "state", "s"));
        params.putAll(extra);
        String before = storeFile();
        HttpResponse<String> response = get(tools.base() + "/authorize?" + form(params));
        if (response.statusCode() != 200) {
            assertThat(storeFile()).as("a refused authorization request stores nothing").isEqualTo(before);
        }
        return response;
    }

    /** A code the admin consented to, for {@code scopes}. */
    private static String code(String clientId, String verifier, String... scopes) throws Exception {
        Map<String, String> params = new LinkedHashMap<>(pkce(verifier, resource()));
        params.put("scope", String.join(" ", scopes));
        HttpResponse<String> approved = consent(csrf(authorize(clientId, REDIRECT, params)), admin, scopes);
        assertThat(approved.statusCode()).isEqualTo(302);
        return query(approved.headers().firstValue("Location").orElseThrow()).get("code");
    }

    private static HttpResponse<String> exchange(String clientId, String code, String verifier, String redirect) throws Exception {
        return post("/token", form(Map.of("grant_type", "authorization_code", "code", code, "code_verifier", verifier,
                "redirect_uri", redirect, "client_id", clientId)), null, null);
    }

    private static HttpResponse<String> refresh(String clientId, String refreshToken, String scope) throws Exception {
        Map<String, String> params = new LinkedHashMap<>(Map.of("grant_type", "refresh_token", "refresh_token", refreshToken,
                "client_id", clientId));
        if (scope != null) {
            params.put("scope", scope);
        }
        return post("/token", form(params), null, null);
    }

    private static HttpResponse<String> consent(String csrf, String adminToken, String... scopes) throws Exception {
        StringBuilder body = new StringBuilder("decision=approve&admin_token=" + enc(adminToken));
        if (csrf != null) {
            body.append("&csrf=").append(enc(csrf));
        }
        for (String scope : scopes) {
            body.append("&scope=").append(enc(scope));
        }
        return post("/authorize", body.toString(), null, null);
    }

    private static String csrf(HttpResponse<String> consentPage) {
        assertThat(consentPage.statusCode()).as(consentPage.body()).isEqualTo(200);
        Matcher m = CSRF.matcher(consentPage.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static String verifier() {
        return OpaqueTokens.generate().substring(4) + "-pkce-verifier";
    }

    private static String storeFile() throws Exception {
        Path file = home.resolve("auth/oauth.json");
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private static String resource() {
        return tools.base() + "/mcp";
    }

    /** A session of the admin's principal, so a refused call reaches the auth filter on a live session. */
    private static String session() throws Exception {
        HttpResponse<String> response = post("/mcp", INITIALIZE_CALL, "application/json", "Bearer " + admin);
        assertThat(response.statusCode()).isEqualTo(200);
        return response.headers().firstValue("Mcp-Session-Id").orElseThrow();
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode getJson(String url) throws Exception {
        HttpResponse<String> response = get(url);
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> post(String pathOrUrl, String body, String contentType, String authorization) throws Exception {
        return post(pathOrUrl, body, contentType, authorization, null);
    }

    private static HttpResponse<String> post(String pathOrUrl, String body, String contentType, String authorization,
                                             String session) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : tools.base() + pathOrUrl))
                .header("Content-Type", contentType == null ? "application/x-www-form-urlencoded" : contentType)
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (session != null) {
            builder.header("Mcp-Session-Id", session);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String form(Map<String, String> params) {
        return params.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static Map<String, String> query(String url) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : URI.create(url).getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        return params;
    }
}
