/* Debian's libsoxr against python-soxr's own build, the same call in one process (docs/benchmarks.md, "Front end").
 *
 *   gcc -O2 Scripts/compare_soxr_builds.c -o /tmp/compare_soxr -lsndfile -ldl
 *   PYLIB=$(python3 -c 'import sysconfig,os;print(os.path.join(sysconfig.get_config_var("LIBDIR"),sysconfig.get_config_var("LDLIBRARY")))') \
 *     /tmp/compare_soxr CLIP.flac $(python3 -c 'import soxr.soxr_ext as e;print(e.__file__)')
 *
 * Resamples the clip to 22 050 Hz at HQ with each library (best of 30, fresh soxr object each time, fed
 * in blocks of 4 096 / 16 384 / 96 000 samples / all at once), prints both times and whether the outputs
 * are bit-identical. python-soxr links libsoxr into its extension, which needs libpython's symbols:
 * PYLIB loads them first. Set V=1 to print the engine soxr picked.
 */
#include <soxr.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <dlfcn.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
typedef soxr_t (*create_t)(double,double,unsigned,soxr_error_t*,soxr_io_spec_t const*,soxr_quality_spec_t const*,soxr_runtime_spec_t const*);
typedef soxr_error_t (*process_t)(soxr_t,soxr_in_t,size_t,size_t*,soxr_out_t,size_t,size_t*);
typedef void (*delete_t)(soxr_t);
typedef soxr_quality_spec_t (*qs_t)(unsigned long,unsigned long);
typedef soxr_io_spec_t (*io_t)(soxr_datatype_t,soxr_datatype_t);
typedef char const*(*eng_t)(soxr_t);
struct lib{create_t c;process_t p;delete_t d;qs_t q;io_t io;eng_t e;};
static struct lib load(const char*path){void*h=dlopen(path,RTLD_NOW|RTLD_LOCAL); if(!h){fprintf(stderr,"%s\n",dlerror());exit(1);}
 struct lib l={dlsym(h,"soxr_create"),dlsym(h,"soxr_process"),dlsym(h,"soxr_delete"),dlsym(h,"soxr_quality_spec"),dlsym(h,"soxr_io_spec"),dlsym(h,"soxr_engine")};return l;}
static double run(struct lib*l,float*x,int n,float*y,int block,double rate,int reps){
  double best=1e9;
  for(int rep=0;rep<reps;rep++){
    double t0=now(); soxr_error_t e=0; soxr_io_spec_t io=l->io(SOXR_FLOAT32_I,SOXR_FLOAT32_I); soxr_quality_spec_t q=l->q(SOXR_HQ,0);
    soxr_t s=l->c(rate,22050,1,&e,&io,&q,NULL); size_t idone,odone,tot=0,pos=0,cap=n/2+2000;
    while(pos<n){int m=n-pos<block?n-pos:block; l->p(s,x+pos,m,&idone,y+tot,cap-tot,&odone); pos+=idone; tot+=odone;}
    l->p(s,NULL,0,&idone,y+tot,cap-tot,&odone); tot+=odone;
    if(rep==0&&getenv("V"))fprintf(stderr,"engine %s out %zu\n",l->e(s),tot);
    l->d(s); double t=now()-t0; if(t<best)best=t;}
  return best*1e3;
}
int main(int argc,char**argv){
  SF_INFO info={0}; SNDFILE*f=sf_open(argv[1],SFM_READ,&info);
  int n=info.frames; float*x=malloc(n*sizeof(float)); sf_readf_float(f,x,n); sf_close(f);
  float*y=malloc((n/2+2000)*sizeof(float)), *y2=malloc((n/2+2000)*sizeof(float));
  if(getenv("PYLIB")) dlopen(getenv("PYLIB"),RTLD_NOW|RTLD_GLOBAL); struct lib deb=load("/usr/lib/x86_64-linux-gnu/libsoxr.so.0"), py=load(argv[2]);
  int blocks[]={4096,16384,96000,1<<30};
  for(int round=0;round<3;round++) for(int b=0;b<4;b++){
    double a=run(&deb,x,n,y,blocks[b],info.samplerate,30), c=run(&py,x,n,y2,blocks[b],info.samplerate,30);
    int same=1; for(int i=0;i<22050*5;i++) if(y[i]!=y2[i]){same=0;break;}
    printf("block %10d  debian %.3f ms  python-soxr's %.3f ms  ratio deb/py %.2f  identical %d\n",blocks[b],a,c,a/c,same);}
}
