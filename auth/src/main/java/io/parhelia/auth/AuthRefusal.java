package io.parhelia.auth;

/**
 * A request the auth filter refused, for the audit log. Never holds a token's value.
 *
 * @param status      the HTTP status answered (400, 401, 403 or 404)
 * @param reason      why: {@code no_token}, {@code token_in_query}, {@code malformed}, {@code unknown}, {@code expired},
 *                    {@code revoked}, {@code invalid}, {@code insufficient_scope} or {@code session_not_owned}
 * @param principal   the caller's principal when its token was valid, else null
 * @param tokenName   the token's name when known (also for an expired or revoked one), else null
 * @param clientId    the OAuth client, when known
 * @param mcpMethod   the JSON-RPC method of a POST, else null
 * @param tool        the tool of a {@code tools/call}, else null
 * @param remoteAddress the peer's address
 */
public record AuthRefusal(int status, String reason, String principal, String tokenName, String clientId,
                          String mcpMethod, String tool, String remoteAddress) {
}
