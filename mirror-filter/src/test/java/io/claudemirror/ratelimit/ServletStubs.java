package io.claudemirror.ratelimit;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** Just enough of a servlet request and response to drive a filter synchronously, without a container. */
final class ServletStubs {
    private ServletStubs() {
    }

    /** A synchronous request: {@code isAsyncStarted()} is false, so the Exchange completes when the chain returns. */
    static HttpServletRequest request(String method, String uri, String body) {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        Map<String, Object> attributes = new HashMap<>();
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        ServletInputStream stream = new ServletInputStream() {
            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }

            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener l) {
                throw new UnsupportedOperationException();
            }
        };
        return (HttpServletRequest) Proxy.newProxyInstance(ServletStubs.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, m, args) -> {
                    switch (m.getName()) {
                        case "getMethod": return method;
                        case "getRequestURI": return uri;
                        case "getContentLengthLong": return (long) bytes.length;
                        case "getContentLength": return bytes.length;
                        case "getContentType": return body == null ? null : "application/json";
                        case "getInputStream": return stream;
                        case "getAttribute": return attributes.get((String) args[0]);
                        case "setAttribute": attributes.put((String) args[0], args[1]); return null;
                        case "removeAttribute": attributes.remove((String) args[0]); return null;
                        case "isAsyncStarted": return false;
                        case "toString": return method + " " + uri;
                        case "hashCode": return System.identityHashCode(proxy);
                        case "equals": return proxy == args[0];
                        default: return defaultValue(m.getReturnType());
                    }
                });
    }

    /** A response that records status, headers (names lower-cased) and body. */
    static final class Response {
        int status = 200;
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final HttpServletResponse proxy;

        Response() {
            ServletOutputStream out = new ServletOutputStream() {
                @Override
                public void write(int b) {
                    body.write(b);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener l) {
                    throw new UnsupportedOperationException();
                }
            };
            proxy = (HttpServletResponse) Proxy.newProxyInstance(ServletStubs.class.getClassLoader(),
                    new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> {
                        switch (m.getName()) {
                            case "setStatus": status = (Integer) args[0]; return null;
                            case "getStatus": return status;
                            case "setHeader":
                            case "addHeader": headers.put((String) args[0], (String) args[1]); return null;
                            case "getHeader": return headers.get((String) args[0]);
                            case "containsHeader": return headers.containsKey((String) args[0]);
                            case "getHeaderNames": return new java.util.ArrayList<>(headers.keySet());
                            case "setContentType": headers.put("content-type", (String) args[0]); return null;
                            case "getOutputStream": return out;
                            case "isCommitted": return false;
                            case "toString": return "Response";
                            case "hashCode": return System.identityHashCode(p);
                            case "equals": return p == args[0];
                            default: return defaultValue(m.getReturnType());
                        }
                    });
        }

        String body() {
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        return null;
    }
}
