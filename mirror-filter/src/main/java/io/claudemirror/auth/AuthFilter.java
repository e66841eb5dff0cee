package io.claudemirror.auth;

import io.claudemirror.FrontDoor;
import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig.AuthMode;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Admits a request only with a known mirror key ({@code x-api-key} or {@code Authorization: Bearer}) and binds
 * the tenant to the Exchange. In {@code passthrough} mode the client's own key is forwarded and no tenant is
 * bound. The key is never logged, never forwarded.
 */
public class AuthFilter extends MirrorFilter {
    public AuthFilter() {
    }

    public AuthFilter(MirrorRuntime runtime) {
        super(runtime);
    }

    /** Decides on headers alone: no body is read for a caller without a valid key. */
    @Override
    protected FrontDoor.Needs needs() {
        return FrontDoor.Needs.LINE;
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (runtime().config().auth().mode() == AuthMode.TENANTS && exchange.tenant() == null) {
            String key = Credentials.presented(request);
            if (key == null) {
                ErrorResponses.write(response, exchange, 401, ErrorResponses.AUTHENTICATION,
                        "missing API key: send the mirror key as x-api-key or Authorization: Bearer", 0);
                return;
            }
            Tenant tenant = runtime().tenants().find(key);
            if (tenant == null) {
                ErrorResponses.write(response, exchange, 401, ErrorResponses.AUTHENTICATION, "invalid x-api-key", 0);
                return;
            }
            exchange.tenant(tenant);
        }
        chain.doFilter(request, response);
    }
}
