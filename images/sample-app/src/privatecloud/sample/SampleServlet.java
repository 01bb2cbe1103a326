package privatecloud.sample;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * /health: 200 "ok" once the webapp is deployed (BusinessApp's readiness and
 * liveness probes). /info: the JVM's view of its limits as JSON, so a test (or
 * an operator) sees that the platform's sizing reached the JVM. /fail: logs an
 * error and answers 500, so a test sees the logger error counter and Jetty's
 * 5xx counter move (what BusinessApp's alerts read).
 */
public final class SampleServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = Logger.getLogger(SampleServlet.class.getName());

  private static String json(String s) {
    return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setCharacterEncoding("UTF-8");
    if ("/health".equals(req.getServletPath())) {
      resp.setContentType("text/plain");
      resp.getWriter().print("ok\n");
      return;
    }
    if ("/fail".equals(req.getServletPath())) {
      LOG.log(Level.SEVERE, "sample failure requested by {0}", req.getRemoteAddr());
      resp.setContentType("text/plain");
      resp.setStatus(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
      resp.getWriter().print("failed on purpose\n");
      return;
    }
    Runtime rt = Runtime.getRuntime();
    resp.setContentType("application/json");
    resp.getWriter()
        .printf(
            "{\"business\":%s,\"availableProcessors\":%d,\"maxHeapBytes\":%d,\"javaVersion\":%s}%n",
            json(System.getenv("APP_BUSINESS")),
            rt.availableProcessors(),
            rt.maxMemory(),
            json(System.getProperty("java.version")));
  }
}
