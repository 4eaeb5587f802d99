# `astro dev start`: the Astro runtime for Airflow 3.3 with pocflow's requirements (requirements.txt),
# Debian packages (packages.txt) and vtctldclient from the Vitess release the local stack builds.
FROM vitess/lite:v24.0.4 AS vitess

FROM astrocrpublic.azurecr.io/runtime:3.3-2
COPY --from=vitess /vt/bin/vtctldclient /usr/local/bin/vtctldclient
ENV POCFLOW_VTCTLDCLIENT=/usr/local/bin/vtctldclient
