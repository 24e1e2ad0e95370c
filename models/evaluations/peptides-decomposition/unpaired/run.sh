set -e
cd /work/main
data=assets/data/peptides
for n in AE KF SL TY NP VG AKV; do
  ~/.cache/walkjump/venv/bin/python -c "
import mdtraj as md
t=md.load('$data/$n/$n.xtc', top='$data/$n/$n.pdb'); h=t.n_frames//2
t[:h].save_xtc('/tmp/unp/$n-A.xtc'); t[h:].save_xtc('/tmp/unp/$n-B.xtc')"
  WALKJUMP_NET_THREADS=2 /tmp/wj denoise --top $data/$n/$n.pdb --traj /tmp/unp/$n-A.xtc --model models/peptides.wjm --backend ndarray --seed 3 --out /tmp/unp/$n-jA.xtc >/dev/null
  for s in A jA; do /tmp/wj evaluate --top $data/$n/$n.pdb --samples /tmp/unp/$n-$s.xtc --reference /tmp/unp/$n-B.xtc --json /tmp/unp/$n-$s.json >/dev/null; done
  python3 -c "
import json
a=json.load(open('/tmp/unp/$n-A.json')); j=json.load(open('/tmp/unp/$n-jA.json'))
print('$n', 'first half vs second: %.3f   jumps of first half vs second: %.3f' % (a['ramachandran_jsd'], j['ramachandran_jsd']))"
done
