package io.parhelia.http;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletRequest;

/**
 * Runs something once an asynchronous response (an event stream) is complete. A timeout or an error
 * also ends in completion, so one action covers every way a stream ends.
 */
public final class AsyncCompletion {

    private AsyncCompletion() {
    }

    /** Requires {@code request.isAsyncStarted()}. */
    public static void onComplete(ServletRequest request, Runnable action) {
        request.getAsyncContext().addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                action.run();
            }

            @Override
            public void onTimeout(AsyncEvent event) {
            }

            @Override
            public void onError(AsyncEvent event) {
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
    }
}
