package io.parhelia.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.parhelia.auth.OAuthStore.Client;
import io.parhelia.auth.OAuthStore.Code;
import io.parhelia.auth.OAuthStore.Grant;
import io.parhelia.auth.OAuthStore.Outcome;
import io.parhelia.auth.OAuthStore.PendingRequest;
import io.parhelia.auth.OAuthStore.State;
import io.parhelia.http.McpHttpServer;
import io.parhelia.mcp.Scope;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded OAuth 2.1 authorization server, used with {@code --auth} when no external issuer is
 * configured. Its issuer is the origin of the MCP endpoint (so the metadata lives at the root
 * well-known paths, where every client looks first), and its tokens are ES256 JWT access tokens
 * (RFC 9068) whose audience is the MCP endpoint, verified by {@link #verifier()}.
 *
 * <ul>
 *   <li>{@code /.well-known/oauth-authorization-server} and {@code /.well-known/openid-configuration}: RFC 8414 metadata</li>
 *   <li>{@code /register}: dynamic registration (RFC 7591) of public clients</li>
 *   <li>{@code /authorize}: PKCE S256 only; redirect URIs matched exactly, except the port of a loopback one
 *       (RFC 8252 §7.3); {@code state} echoed and {@code iss} sent (RFC 9207); {@code resource} checked (RFC 8707).
 *       It shows a consent page where a person proves authority with an admin token, sees the client's name,
 *       redirect host and scopes, and may narrow them; the tokens' subject is that person's principal.</li>
 *   <li>{@code /token}: authorization codes (single use: a replayed code revokes its grant) and refresh tokens
 *       (rotated; a retired one presented again revokes its grant)</li>
 *   <li>{@code /jwks} and {@code /revoke} (RFC 7009: revoking either token of a grant revokes the grant)</li>
 * </ul>
 */
public final class AuthorizationServer {

    private static final Logger log = LoggerFactory.getLogger(AuthorizationServer.class);
    static final String AS_METADATA_PATH = "/.well-known/oauth-authorization-server";
    static final String OPENID_METADATA_PATH = "/.well-known/openid-configuration";
    static final String REGISTER_PATH = "/register";
    static final String AUTHORIZE_PATH = "/authorize";
    static final String TOKEN_PATH = "/token";
    static final String JWKS_PATH = "/jwks";
    static final String REVOKE_PATH = "/revoke";
    /** The claim naming the grant an access token came from, so revoking the grant refuses it. */
    static final String GRANT_CLAIM = "grant";
    static final Duration DEFAULT_ACCESS_TOKEN_LIFETIME = Duration.ofHours(1);
    private static final Duration CODE_LIFETIME = Duration.ofMinutes(2);
    private static final Duration CONSENT_LIFETIME = Duration.ofMinutes(10);
    private static final Duration GRANT_LIFETIME = Duration.ofDays(30);
    private static final Set<Scope> DEFAULT_SCOPES = Set.of(Scope.READ, Scope.TASKS);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ResourceUrls urls;
    private final SigningKey key;
    private final OAuthStore store;
    private final TokenVerifier consenters;
    private final Duration accessTokenLifetime;
    private final Clock clock;
    private final ConsentThrottle throttle;

    private AuthorizationServer(Path home, ResourceUrls urls, TokenVerifier consenters, Duration accessTokenLifetime, Clock clock) {
        this.urls = urls;
        this.key = SigningKey.loadOrCreate(home);
        this.store = new OAuthStore(home);
        this.consenters = consenters;
        this.accessTokenLifetime = accessTokenLifetime;
        this.clock = clock;
        this.throttle = new ConsentThrottle(clock);
    }

    /**
     * @param consenters what a person may prove authority with on the consent page (Parhelia's own tokens,
     *                   {@link ConsentPassword}); only an identity with the admin scope may consent
     */
    public static AuthorizationServer open(Path home, ResourceUrls urls, TokenVerifier consenters) {
        return open(home, urls, consenters, DEFAULT_ACCESS_TOKEN_LIFETIME, Clock.systemUTC());
    }

    public static AuthorizationServer open(Path home, ResourceUrls urls, TokenVerifier consenters, Duration accessTokenLifetime,
                                           Clock clock) {
        return new AuthorizationServer(home, urls, consenters, accessTokenLifetime, clock);
    }

    /** Verifies this server's access tokens: issuer = the resource's origin, audience = the resource, grant not revoked. */
    public TokenVerifier verifier() {
        return JwtVerifier.embedded(AuthorizationServer::issuerOf, key.verificationKeys(),
                claims -> claims.getClaim(GRANT_CLAIM) instanceof String grant && store.isRevoked(grant));
    }

    /** The issuer for requests to {@code resource}: its origin, without a trailing slash (one form everywhere). */
    static String issuerOf(URI resource) {
        return resource.getScheme() + "://" + resource.getRawAuthority();
    }

    /** Serves the endpoints on {@code server}. */
    public McpHttpServer.Builder install(McpHttpServer.Builder server) {
        HttpServlet endpoints = new Endpoints();
        for (String path : List.of(AS_METADATA_PATH, OPENID_METADATA_PATH, REGISTER_PATH, AUTHORIZE_PATH, TOKEN_PATH, JWKS_PATH,
                REVOKE_PATH)) {
            server.servlet(path, endpoints);
        }
        return server;
    }

    private final class Endpoints extends HttpServlet {

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String path = request.getServletPath();
            String method = request.getMethod();
            boolean publicDocument = path.equals(AS_METADATA_PATH) || path.equals(OPENID_METADATA_PATH) || path.equals(JWKS_PATH);
            if (publicDocument) {
                response.setHeader("Access-Control-Allow-Origin", "*");
            }
            switch (path + " " + method) {
                case AS_METADATA_PATH + " GET", OPENID_METADATA_PATH + " GET" -> json(response, 200, metadata(request));
                case JWKS_PATH + " GET" -> json(response, 200, JSON.readTree(key.publicKeys().toString()));
                case REGISTER_PATH + " POST" -> register(request, response);
                case AUTHORIZE_PATH + " GET" -> authorize(request, response);
                case AUTHORIZE_PATH + " POST" -> consent(request, response);
                case TOKEN_PATH + " POST" -> token(request, response);
                case REVOKE_PATH + " POST" -> revoke(request, response);
                default -> {
                    if (publicDocument && method.equals("OPTIONS")) {
                        response.setHeader("Access-Control-Allow-Methods", "GET, OPTIONS");
                        response.setStatus(204);
                    } else {
                        oauthError(response, 405, "invalid_request", method + " is not supported on " + path);
                    }
                }
            }
        }
    }

    private ObjectNode metadata(HttpServletRequest request) {
        String issuer = issuerOf(urls.resource(request));
        ObjectNode body = JSON.createObjectNode()
                .put("issuer", issuer)
                .put("authorization_endpoint", issuer + AUTHORIZE_PATH)
                .put("token_endpoint", issuer + TOKEN_PATH)
                .put("registration_endpoint", issuer + REGISTER_PATH)
                .put("revocation_endpoint", issuer + REVOKE_PATH)
                .put("jwks_uri", issuer + JWKS_PATH)
                .put("authorization_response_iss_parameter_supported", true);
        body.putArray("response_types_supported").add("code");
        body.putArray("grant_types_supported").add("authorization_code").add("refresh_token");
        body.putArray("code_challenge_methods_supported").add("S256");
        body.putArray("token_endpoint_auth_methods_supported").add("none");
        body.putArray("revocation_endpoint_auth_methods_supported").add("none");
        ArrayNode scopes = body.putArray("scopes_supported");
        Arrays.stream(Scope.values()).forEach(s -> scopes.add(s.value()));
        return body;
    }

    // ---- registration (RFC 7591) ----

    private void register(HttpServletRequest request, HttpServletResponse response) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(request.getInputStream());
        } catch (IOException e) {
            oauthError(response, 400, "invalid_client_metadata", "the body is not JSON");
            return;
        }
        if (body == null || !body.path("redirect_uris").isArray() || body.path("redirect_uris").isEmpty()) {
            oauthError(response, 400, "invalid_redirect_uri", "redirect_uris must list at least one URI");
            return;
        }
        List<String> redirectUris = new ArrayList<>();
        for (JsonNode uri : body.path("redirect_uris")) {
            Optional<String> problem = redirectUriProblem(uri.asText());
            if (problem.isPresent()) {
                oauthError(response, 400, "invalid_redirect_uri", problem.get());
                return;
            }
            redirectUris.add(uri.asText());
        }
        String name = body.path("client_name").asText("").strip();
        Client client = new Client(UUID.randomUUID().toString(), name.isEmpty() ? "(unnamed client)" : name, redirectUris,
                clock.instant().getEpochSecond());
        store.change(state -> {
            State live = state.pruned(now());
            return new Outcome<>(live.withClients(append(live.clients(), client)), null);
        });
        log.info("OAuth client registered: {} \"{}\"", client.clientId(), client.name());
        ObjectNode answer = JSON.createObjectNode()
                .put("client_id", client.clientId())
                .put("client_id_issued_at", client.createdAt())
                .put("client_name", client.name())
                .put("token_endpoint_auth_method", "none");
        ArrayNode uris = answer.putArray("redirect_uris");
        redirectUris.forEach(uris::add);
        answer.putArray("grant_types").add("authorization_code").add("refresh_token");
        answer.putArray("response_types").add("code");
        if (body.hasNonNull("application_type")) {
            answer.put("application_type", body.get("application_type").asText());
        }
        json(response, 201, answer);
    }

    /** Redirect URIs must be https, or http on a loopback host (MCP authorization, "Communication Security"). */
    static Optional<String> redirectUriProblem(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            return Optional.of("'" + value + "' is not a URI");
        }
        if (uri.getRawFragment() != null || uri.getHost() == null) {
            return Optional.of("'" + value + "' must be absolute, with a host and without a fragment");
        }
        if ("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()) && isLoopback(uri.getHost())) {
            return Optional.empty();
        }
        return Optional.of("'" + value + "' must be https, or http on localhost, 127.0.0.1 or [::1]");
    }

    private static boolean isLoopback(String host) {
        return host.equalsIgnoreCase("localhost") || host.equals("127.0.0.1") || host.equals("[::1]") || host.equals("::1");
    }

    /** Exact match, except that a loopback redirect may use any port (RFC 8252 §7.3): scheme, host, path and query still must match. */
    static boolean redirectUriMatches(String registered, String requested) {
        if (registered.equals(requested)) {
            return true;
        }
        try {
            URI a = new URI(registered);
            URI b = new URI(requested);
            return a.getHost() != null && b.getHost() != null && isLoopback(a.getHost()) && a.getHost().equals(b.getHost())
                    && a.getScheme().equals(b.getScheme()) && a.getRawPath().equals(b.getRawPath())
                    && java.util.Objects.equals(a.getRawQuery(), b.getRawQuery()) && b.getRawUserInfo() == null
                    && b.getRawFragment() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    // ---- authorization and consent ----

    private void authorize(HttpServletRequest request, HttpServletResponse response) throws IOException {
        URI resource = urls.resource(request);
        String issuer = issuerOf(resource);
        State state = store.read();
        Client client = findClient(state, request.getParameter("client_id"));
        if (client == null) {
            page(response, 400, "Unknown client", "<p>This application is not registered here. Nothing was authorized.</p>");
            return;
        }
        String redirectUri = request.getParameter("redirect_uri");
        if (redirectUri == null && client.redirectUris().size() == 1) {
            redirectUri = client.redirectUris().get(0);
        }
        String requested = redirectUri;
        if (requested == null || client.redirectUris().stream().noneMatch(r -> redirectUriMatches(r, requested))) {
            page(response, 400, "Unregistered redirect",
                    "<p>The redirect URI is not one this application registered. Nothing was authorized.</p>");
            return;
        }
        String clientState = request.getParameter("state");
        if (!"code".equals(request.getParameter("response_type"))) {
            redirectError(response, redirectUri, "unsupported_response_type", "only response_type=code", clientState, issuer);
            return;
        }
        String challenge = request.getParameter("code_challenge");
        if (challenge == null || !"S256".equals(request.getParameter("code_challenge_method"))) {
            redirectError(response, redirectUri, "invalid_request", "PKCE with code_challenge_method=S256 is required",
                    clientState, issuer);
            return;
        }
        if (!challenge.matches("[A-Za-z0-9_-]{43}")) {
            redirectError(response, redirectUri, "invalid_request", "code_challenge must be a base64url SHA-256", clientState, issuer);
            return;
        }
        if (!resourceAccepted(request.getParameter("resource"), resource)) {
            redirectError(response, redirectUri, "invalid_target", "this server issues tokens only for " + resource,
                    clientState, issuer);
            return;
        }
        Optional<Set<Scope>> scopes = parseScopes(request.getParameter("scope"));
        if (scopes.isEmpty()) {
            redirectError(response, redirectUri, "invalid_scope", "scopes offered: " + scopeNames(Set.of(Scope.values())),
                    clientState, issuer);
            return;
        }
        String csrf = OpaqueTokens.generate();
        PendingRequest pending = new PendingRequest(OpaqueTokens.sha256Hex(csrf), client.clientId(), redirectUri, clientState,
                challenge, scopeNames(scopes.get()), resource.toString(), clock.instant().plus(CONSENT_LIFETIME).getEpochSecond());
        store.change(s -> {
            State live = s.pruned(now());
            return new Outcome<>(live.withRequests(append(live.requests(), pending)), null);
        });
        consentPage(response, 200, client, pending, csrf, null);
    }

    private void consentPage(HttpServletResponse response, int status, Client client, PendingRequest pending, String csrf,
                             String error) throws IOException {
        StringBuilder html = new StringBuilder();
        if (error != null) {
            html.append("<p class=error>").append(escape(error)).append("</p>");
        }
        html.append("<p><b>").append(escape(client.name())).append("</b> asks to use Parhelia on your behalf.</p>")
                .append("<p>After you approve, you are sent back to <b>").append(escape(URI.create(pending.redirectUri()).getHost()))
                .append("</b> (").append(escape(pending.redirectUri())).append(").</p>")
                .append("<form method=post action=\"").append(AUTHORIZE_PATH).append("\">")
                .append("<input type=hidden name=csrf value=\"").append(escape(csrf)).append("\">")
                .append("<fieldset><legend>Allow</legend>");
        for (String scope : pending.scopes()) {
            html.append("<label><input type=checkbox name=scope checked value=\"").append(escape(scope)).append("\"> ")
                    .append(escape(scope)).append("</label><br>");
        }
        html.append("</fieldset><p><label>Admin token or password: <input type=password name=admin_token autocomplete=off></label></p>")
                .append("<button name=decision value=approve>Approve</button> ")
                .append("<button name=decision value=deny>Deny</button></form>");
        page(response, status, "Authorize " + client.name(), html.toString());
    }

    private void consent(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String csrf = request.getParameter("csrf");
        String csrfHash = csrf == null ? null : OpaqueTokens.sha256Hex(csrf);
        State state = store.read();
        PendingRequest pending = state.requests().stream()
                .filter(r -> r.csrfSha256().equals(csrfHash) && r.expiresAt() > now()).findFirst().orElse(null);
        Client client = pending == null ? null : findClient(state, pending.clientId());
        if (client == null) {
            page(response, 400, "Expired", "<p>This consent form has expired or was not issued here. Start again from the application.</p>");
            return;
        }
        String issuer = issuerOf(URI.create(pending.resource()));
        if (!"approve".equals(request.getParameter("decision"))) {
            store.change(s -> new Outcome<>(s.withRequests(without(s.requests(), pending)), null));
            redirectError(response, pending.redirectUri(), "access_denied", "the person denied the request", pending.state(), issuer);
            return;
        }
        String address = request.getRemoteAddr();
        Instant lockedUntil = throttle.lockedUntil(address);
        if (lockedUntil != null) {
            long seconds = Math.max(1, Duration.between(clock.instant(), lockedUntil).toSeconds());
            log.warn("OAuth consent refused unchecked for client {} from {}: too many wrong proofs, locked for {} s",
                    client.clientId(), address, seconds);
            response.setHeader("Retry-After", Long.toString(seconds));
            consentPage(response, 429, client, pending, csrf, "Too many wrong admin tokens or passwords: nothing was checked. "
                    + "Try again in " + seconds + " seconds.");
            return;
        }
        String adminToken = request.getParameter("admin_token");
        Verification verification = adminToken == null || adminToken.isBlank() ? Verification.UNRECOGNIZED
                : consenters.verify(adminToken.strip(), URI.create(pending.resource()));
        if (!(verification instanceof Verification.Accepted accepted) || !accepted.identity().scopes().contains(Scope.ADMIN)) {
            throttle.failed(address);
            log.warn("OAuth consent refused for client {} from {}: neither an admin token nor the password was given",
                    client.clientId(), address);
            consentPage(response, 403, client, pending, csrf, "That is neither an admin token nor the password; nothing was authorized.");
            return;
        }
        throttle.succeeded(address);
        String[] ticked = request.getParameterValues("scope");
        List<String> granted = pending.scopes().stream()
                .filter(s -> ticked != null && Arrays.asList(ticked).contains(s)).toList();
        if (granted.isEmpty()) {
            consentPage(response, 400, client, pending, csrf, "Choose at least one scope to approve, or deny.");
            return;
        }
        String subject = accepted.identity().subject();
        String code = OpaqueTokens.generate();
        Instant now = clock.instant();
        Grant grant = new Grant(UUID.randomUUID().toString(), client.clientId(), subject, granted, pending.resource(),
                now.getEpochSecond(), null, List.of(), now.plus(GRANT_LIFETIME).getEpochSecond(), null);
        Code stored = new Code(OpaqueTokens.sha256Hex(code), grant.id(), pending.redirectUri(), pending.codeChallenge(),
                now.plus(CODE_LIFETIME).getEpochSecond(), false);
        boolean fresh = store.change(s -> s.requests().contains(pending)
                ? new Outcome<>(s.withRequests(without(s.requests(), pending)).withGrants(append(s.grants(), grant))
                        .withCodes(append(s.codes(), stored)), true)
                : new Outcome<>(s, false));
        if (!fresh) {
            page(response, 400, "Expired", "<p>This consent form was already used. Start again from the application.</p>");
            return;
        }
        log.info("OAuth consent: {} granted {} to client {} \"{}\"", subject, granted, client.clientId(), client.name());
        Map<String, String> params = new LinkedHashMap<>();
        params.put("code", code);
        params.put("state", pending.state());
        params.put("iss", issuer);
        redirect(response, pending.redirectUri(), params);
    }

    // ---- token endpoint ----

    private void token(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Pragma", "no-cache");
        String grantType = request.getParameter("grant_type");
        String clientId = request.getParameter("client_id");
        if (grantType == null || clientId == null) {
            oauthError(response, 400, "invalid_request", "grant_type and client_id are required");
            return;
        }
        if (findClient(store.read(), clientId) == null) {
            oauthError(response, 401, "invalid_client", "unknown client; register again");
            return;
        }
        switch (grantType) {
            case "authorization_code" -> exchangeCode(request, response, clientId);
            case "refresh_token" -> refresh(request, response, clientId);
            default -> oauthError(response, 400, "unsupported_grant_type", "grant types: authorization_code, refresh_token");
        }
    }

    private sealed interface TokenOutcome {
        record Issued(Grant grant, String refreshToken, List<String> scopes) implements TokenOutcome {
        }

        record Failed(int status, String error, String description) implements TokenOutcome {
        }
    }

    private void exchangeCode(HttpServletRequest request, HttpServletResponse response, String clientId) throws IOException {
        String code = request.getParameter("code");
        String verifier = request.getParameter("code_verifier");
        String redirectUri = request.getParameter("redirect_uri");
        String resourceParam = request.getParameter("resource");
        if (code == null || verifier == null) {
            oauthError(response, 400, "invalid_request", "code and code_verifier are required");
            return;
        }
        String codeHash = OpaqueTokens.sha256Hex(code);
        String refreshToken = OpaqueTokens.generate();
        long now = now();
        TokenOutcome outcome = store.change(state -> {
            Code stored = state.codes().stream().filter(c -> c.sha256().equals(codeHash) && c.expiresAt() > now).findFirst().orElse(null);
            Grant grant = stored == null ? null
                    : state.grants().stream().filter(g -> g.id().equals(stored.grantId())).findFirst().orElse(null);
            if (stored == null || grant == null || !grant.clientId().equals(clientId)) {
                return new Outcome<>(state, new TokenOutcome.Failed(400, "invalid_grant", "unknown or expired code"));
            }
            if (stored.spent()) {
                log.warn("OAuth: code replayed by client {}; revoking grant {}", clientId, grant.id());
                return new Outcome<>(state.replacing(grant.revoked(now)),
                        new TokenOutcome.Failed(400, "invalid_grant", "the code was already used; what it issued is revoked"));
            }
            if (!stored.redirectUri().equals(redirectUri)) {
                return new Outcome<>(state, new TokenOutcome.Failed(400, "invalid_grant", "redirect_uri differs from the authorization request's"));
            }
            if (!OpaqueTokens.sameDigest(s256(verifier).getBytes(StandardCharsets.US_ASCII),
                    stored.codeChallenge().getBytes(StandardCharsets.US_ASCII))) {
                return new Outcome<>(state, new TokenOutcome.Failed(400, "invalid_grant", "code_verifier does not match the code_challenge"));
            }
            if (resourceParam != null && !resourceAccepted(resourceParam, URI.create(grant.resource()))) {
                return new Outcome<>(state, new TokenOutcome.Failed(400, "invalid_target", "the code was issued for " + grant.resource()));
            }
            Grant issued = grant.rotated(OpaqueTokens.sha256Hex(refreshToken));
            State next = state.replacing(issued).withCodes(state.codes().stream()
                    .map(c -> c == stored ? new Code(c.sha256(), c.grantId(), c.redirectUri(), c.codeChallenge(), c.expiresAt(), true) : c)
                    .toList());
            return new Outcome<>(next, new TokenOutcome.Issued(issued, refreshToken, issued.scopes()));
        });
        answer(response, outcome);
    }

    private void refresh(HttpServletRequest request, HttpServletResponse response, String clientId) throws IOException {
        String presented = request.getParameter("refresh_token");
        if (presented == null) {
            oauthError(response, 400, "invalid_request", "refresh_token is required");
            return;
        }
        Optional<Set<Scope>> narrowed = request.getParameter("scope") == null ? Optional.empty() : parseScopes(request.getParameter("scope"));
        if (request.getParameter("scope") != null && narrowed.isEmpty()) {
            oauthError(response, 400, "invalid_scope", "unknown scope");
            return;
        }
        String hash = OpaqueTokens.sha256Hex(presented);
        String rotated = OpaqueTokens.generate();
        long now = now();
        TokenOutcome outcome = store.change(state -> {
            Grant current = state.grants().stream().filter(g -> hash.equals(g.refreshSha256())).findFirst().orElse(null);
            if (current == null) {
                Grant retired = state.grants().stream().filter(g -> g.retiredRefreshSha256().contains(hash)).findFirst().orElse(null);
                if (retired != null && retired.revokedAt() == null) {
                    log.warn("OAuth: a rotated refresh token was used again (client {}); revoking grant {}", clientId, retired.id());
                    return new Outcome<>(state.replacing(retired.revoked(now)),
                            new TokenOutcome.Failed(400, "invalid_grant", "the refresh token was already used; its grant is revoked"));
                }
                return new Outcome<>(state, new TokenOutcome.Failed(400, "invalid_grant", "unknown, revoked or expired refresh token"));
            }
            if (!current.clientId().equals(clientId)) {
                return new Outcome<>(state, new TokenOutcome.Failed(400, "invalid_grant", "the refresh token was issued to another client"));
            }
            List<String> scopes = current.scopes();
            if (narrowed.isPresent()) {
                List<String> asked = scopeNames(narrowed.get());
                if (!current.scopes().containsAll(asked)) {
                    return new Outcome<>(state, new TokenOutcome.Failed(400, "invalid_scope", "a refresh cannot add scopes to the grant"));
                }
                scopes = asked;
            }
            Grant issued = current.rotated(OpaqueTokens.sha256Hex(rotated));
            return new Outcome<>(state.replacing(issued), new TokenOutcome.Issued(issued, rotated, scopes));
        });
        answer(response, outcome);
    }

    private void answer(HttpServletResponse response, TokenOutcome outcome) throws IOException {
        if (outcome instanceof TokenOutcome.Failed failed) {
            oauthError(response, failed.status(), failed.error(), failed.description());
        } else if (outcome instanceof TokenOutcome.Issued issued) {
            Instant now = clock.instant();
            // Never beyond the grant: an expired grant is dropped from the store, and with it any record of its revocation.
            Instant expiry = Collections.min(List.of(now.plus(accessTokenLifetime), Instant.ofEpochSecond(issued.grant().expiresAt())));
            JWTClaimsSet claims = new JWTClaimsSet.Builder()
                    .issuer(issuerOf(URI.create(issued.grant().resource())))
                    .subject(issued.grant().subject())
                    .audience(issued.grant().resource())
                    .issueTime(Date.from(now))
                    .notBeforeTime(Date.from(now))
                    .expirationTime(Date.from(expiry))
                    .jwtID(UUID.randomUUID().toString())
                    .claim("client_id", issued.grant().clientId())
                    .claim("scope", String.join(" ", issued.scopes()))
                    .claim(GRANT_CLAIM, issued.grant().id())
                    .build();
            json(response, 200, JSON.createObjectNode()
                    .put("access_token", key.sign(claims))
                    .put("token_type", "Bearer")
                    .put("expires_in", Duration.between(now, expiry).toSeconds())
                    .put("refresh_token", issued.refreshToken())
                    .put("scope", String.join(" ", issued.scopes())));
        }
    }

    // ---- revocation (RFC 7009) ----

    private void revoke(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        String token = request.getParameter("token");
        String clientId = request.getParameter("client_id");
        if (token == null || clientId == null) {
            oauthError(response, 400, "invalid_request", "token and client_id are required");
            return;
        }
        String hash = OpaqueTokens.sha256Hex(token);
        String grantOfAccessToken = grantOfOwnAccessToken(token);
        long now = now();
        store.change(state -> {
            Predicate<Grant> named = g -> g.id().equals(grantOfAccessToken) || hash.equals(g.refreshSha256())
                    || g.retiredRefreshSha256().contains(hash);
            // RFC 7009 §2.1: only the client the token was issued to may revoke it; anyone else learns nothing.
            List<Grant> grants = state.grants().stream()
                    .map(g -> named.test(g) && g.clientId().equals(clientId) ? g.revoked(now) : g).toList();
            return new Outcome<>(state.withGrants(grants), null);
        });
        response.setStatus(200);
    }

    /** The grant of one of this server's access tokens (signature checked, expiry not), or null. */
    private String grantOfOwnAccessToken(String token) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            ECKey publicKey = (ECKey) key.publicKeys().getKeyByKeyId(jwt.getHeader().getKeyID());
            if (publicKey == null || !jwt.verify(new ECDSAVerifier(publicKey))) {
                return null;
            }
            return jwt.getJWTClaimsSet().getClaim(GRANT_CLAIM) instanceof String grant ? grant : null;
        } catch (ParseException | JOSEException | ClassCastException e) {
            return null;
        }
    }

    // ---- helpers ----

    private long now() {
        return clock.instant().getEpochSecond();
    }

    private static Client findClient(State state, String clientId) {
        return clientId == null ? null : state.clients().stream().filter(c -> c.clientId().equals(clientId)).findFirst().orElse(null);
    }

    /** The canonical resource, or its origin (clients that cached older metadata send that); omitted means the canonical one. */
    private static boolean resourceAccepted(String requested, URI resource) {
        if (requested == null) {
            return true;
        }
        String normalized = requested.replaceAll("/+$", "");
        return normalized.equalsIgnoreCase(resource.toString()) || normalized.equalsIgnoreCase(issuerOf(resource));
    }

    /** Empty when a value is not one of ours; no value at all means the default (read and tasks). */
    static Optional<Set<Scope>> parseScopes(String scope) {
        if (scope == null || scope.isBlank()) {
            return Optional.of(DEFAULT_SCOPES);
        }
        Set<Scope> scopes = new LinkedHashSet<>();
        for (String value : scope.trim().split("\\s+")) {
            Optional<Scope> known = Scope.fromValue(value);
            if (known.isEmpty()) {
                return Optional.empty();
            }
            scopes.add(known.get());
        }
        return Optional.of(scopes);
    }

    private static List<String> scopeNames(Set<Scope> scopes) {
        return scopes.stream().sorted().map(Scope::value).toList();
    }

    static String s256(String verifier) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(OpaqueTokens.sha256(verifier));
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> copy = new ArrayList<>(list);
        copy.add(item);
        return copy;
    }

    private static <T> List<T> without(List<T> list, T item) {
        return list.stream().filter(x -> !x.equals(item)).toList();
    }

    private static void redirectError(HttpServletResponse response, String redirectUri, String error, String description,
                                      String state, String issuer) throws IOException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("error", error);
        params.put("error_description", description);
        params.put("state", state);
        params.put("iss", issuer);
        redirect(response, redirectUri, params);
    }

    private static void redirect(HttpServletResponse response, String redirectUri, Map<String, String> params) {
        String query = params.entrySet().stream().filter(e -> e.getValue() != null)
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Location", redirectUri + (redirectUri.contains("?") ? "&" : "?") + query);
        response.setStatus(302);
    }

    private static void json(HttpServletResponse response, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /** An error per RFC 6749 §5.2. */
    private static void oauthError(HttpServletResponse response, int status, String error, String description) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        json(response, status, JSON.createObjectNode().put("error", error).put("error_description", description));
    }

    private static void page(HttpServletResponse response, int status, String title, String body) throws IOException {
        byte[] bytes = ("<!doctype html><html><head><meta charset=utf-8><title>" + escape(title) + "</title></head><body><h1>"
                + escape(title) + "</h1>" + body + "</body></html>").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; form-action 'self'");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setContentType("text/html;charset=utf-8");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
