#!/bin/sh
# The cases of tests/mesh/10-mesh-rd.sh that must hold under the "typical"
# radio profile (40 ms a hop, 5 % loss a fragment, 100 kbit/s), which CI
# runs besides the whole test under "good": simple (d) and full (e)
# registration from the one-hop and the two-hop node, registration over
# DTLS (i) and a LAN client reading a device through the RD proxy (j).
# About a minute; MESH_CASES chooses others.
MESH_PROFILE=typical MESH_CASES=${MESH_CASES:-"d e i j"} \
    exec sh "${top_srcdir:?}/tests/mesh/10-mesh-rd.sh"
