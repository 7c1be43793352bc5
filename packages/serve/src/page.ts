const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** GET /: pick or drop a photo, see the answer. No external scripts or styles. */
export function indexPage(classes: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Bears classifier</title>
<style>
body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
#drop{border:2px dashed #888;border-radius:8px;padding:2rem;text-align:center;cursor:pointer}
#drop.over{background:#eef}
img{max-width:100%;max-height:20rem;display:block;margin:1rem auto}
.bar{height:1.2rem;background:#4a7;margin:.2rem 0}
.err{color:#b00}
</style></head><body>
<h1>Bears classifier</h1>
<p>Classes: ${classes.map(escapeHtml).join(', ')}</p>
<div id="drop" tabindex="0">Drop a photo here or click to pick one<input id="file" type="file" accept="image/*" hidden></div>
<img id="preview" alt="" hidden>
<div id="out" aria-live="polite"></div>
<script>
const drop=document.getElementById('drop'),file=document.getElementById('file'),out=document.getElementById('out'),img=document.getElementById('preview');
drop.onclick=()=>file.click();
drop.onkeydown=e=>{if(e.key==='Enter'||e.key===' ')file.click()};
file.onchange=()=>file.files[0]&&send(file.files[0]);
drop.ondragover=e=>{e.preventDefault();drop.classList.add('over')};
drop.ondragleave=()=>drop.classList.remove('over');
drop.ondrop=e=>{e.preventDefault();drop.classList.remove('over');e.dataTransfer.files[0]&&send(e.dataTransfer.files[0])};
function text(el,s){el.textContent=s;return el}
async function send(f){
  img.src=URL.createObjectURL(f);img.hidden=false;out.textContent='Thinking...';
  const body=new FormData();body.append('file',f);
  try{
    const r=await fetch('predict',{method:'POST',body});const j=await r.json();
    out.textContent='';
    if(!r.ok){text(out.appendChild(document.createElement('p')),'Error '+r.status+': '+j.error.message).className='err';return}
    text(out.appendChild(document.createElement('h2')),j.label+' ('+(100*j.probabilities[j.label]).toFixed(1)+'%, '+j.ms.toFixed(0)+' ms)');
    for(const [k,p] of Object.entries(j.probabilities)){
      text(out.appendChild(document.createElement('div')),k+' '+(100*p).toFixed(1)+'%');
      out.appendChild(document.createElement('div')).className='bar';out.lastChild.style.width=(100*p)+'%';
    }
  }catch(e){out.textContent='';text(out.appendChild(document.createElement('p')),'Request failed: '+e.message).className='err'}
}
</script></body></html>`;
}
