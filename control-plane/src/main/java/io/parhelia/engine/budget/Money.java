package io.parhelia.engine.budget;

import java.util.Locale;

/** Dollars as people read them in messages. */
final class Money {

    private Money() {
    }

    static String format(double usd) {
        return String.format(Locale.ROOT, "$%.4f", usd);
    }
}
