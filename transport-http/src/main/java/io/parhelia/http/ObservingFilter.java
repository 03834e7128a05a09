package io.parhelia.http;

import io.parhelia.http.HttpRequestObserver.ObservedRequest;
import io.parhelia.mcp.Caller;
import io.parhelia.mcp.CallerResolver;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outermost filter: gives each request its id and tells the {@link HttpRequestObserver} how it
 * was answered, once the response is complete (for an event stream, when the stream ends).
 */
final class ObservingFilter implements Filter {

    private static final Logger log = LoggerFactory.getLogger(ObservingFilter.class);

    private final HttpRequestObserver observer;

    ObservingFilter(HttpRequestObserver observer) {
        this.observer = observer;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        long started = System.nanoTime();
        request.setAttribute(McpHttpServer.REQUEST_ID_KEY, UUID.randomUUID().toString());
        boolean threw = true;
        try {
            chain.doFilter(request, response);
            threw = false;
        } finally {
            if (!threw && request.isAsyncStarted()) {
                AsyncCompletion.onComplete(request, () -> report(request, response.getStatus(), started));
            } else {
                // An exception escaping the chain becomes a 500 from the error handler after this filter.
                report(request, threw ? 500 : response.getStatus(), started);
            }
        }
    }

    private void report(HttpServletRequest request, int status, long started) {
        try {
            observer.observe(new ObservedRequest((String) request.getAttribute(McpHttpServer.REQUEST_ID_KEY),
                    request.getMethod(), request.getRequestURI(), status, request.getRemoteAddr(),
                    request.getAttribute(CallerResolver.CALLER_KEY) instanceof Caller caller ? caller : null,
                    request.getAttribute(McpHttpServer.REFUSAL_ATTRIBUTE) instanceof String refusal ? refusal : null,
                    Duration.ofNanos(System.nanoTime() - started)));
        } catch (RuntimeException e) {
            log.warn("the HTTP request observer failed on {} {}", request.getMethod(), request.getRequestURI(), e);
        }
    }
}
