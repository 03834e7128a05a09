package io.parhelia.http;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** The DNS-rebinding check, first on {@code /mcp}: a Host or Origin the server does not answer to gets 403 before anything else. */
final class HostGuard implements Filter {

    private final HostPolicy hosts;

    HostGuard(HostPolicy hosts) {
        this.hosts = hosts;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        String host = request.getHeader("Host");
        if (!hosts.hostAllowed(host)) {
            JsonErrors.write((HttpServletResponse) res, 403, JsonErrors.TRANSPORT_ERROR, "Host '" + host + "' is not allowed; "
                    + "if clients reach this server by that name, add it to http.allowed_hosts", null);
            return;
        }
        String origin = request.getHeader("Origin");
        if (!hosts.originAllowed(origin)) {
            JsonErrors.write((HttpServletResponse) res, 403, JsonErrors.TRANSPORT_ERROR, "Origin '" + origin + "' is not allowed; "
                    + "if pages on that origin may use this server, add it to http.allowed_origins", null);
            return;
        }
        chain.doFilter(request, res);
    }
}
